"""Settings of the benchmark's lean server (benchmarks/lean_site.py): production's, with its own URLconf.

The same middleware, database, cache and keys as the product's web-http processes; only the URLs
differ, so the product's URLs never carry the benchmark's views.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "benchmarks.lean_site"
