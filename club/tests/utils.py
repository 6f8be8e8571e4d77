def assert_list_queries_constant(django_assert_num_queries, api_client, url: str, queries: int) -> None:
    """A list endpoint runs the same number of queries for a page of 2 and a page of 20 rows."""
    separator = "&" if "?" in url else "?"
    for page_size in (2, 20):
        with django_assert_num_queries(queries):
            response = api_client.get(f"{url}{separator}page_size={page_size}")
        assert response.status_code == 200, response.content
        assert len(response.json()["results"]) == page_size
