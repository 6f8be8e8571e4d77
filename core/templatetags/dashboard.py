from django import template
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def current_section(context: template.Context, *prefixes: str) -> SafeString:
    """`aria-current="page"` on the nav link whose section (view name prefix) the page belongs to."""
    request: HttpRequest | None = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match and any(match.view_name.startswith(prefix) for prefix in prefixes):
        return mark_safe(' aria-current="page"')
    return mark_safe("")
