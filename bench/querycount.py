"""X-Queries: how many SQL statements served the request, read by the benchmark client."""

from django.db import connection


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
            if getattr(response, "streaming", False):
                # A streamed body runs its queries after this returns; the client reads them
                # from the body's end instead (not needed for the figures we report).
                response["X-Queries"] = str(count)
                return response
        response["X-Queries"] = str(count)
        return response
