"""Requests released together from many threads: the database must decide."""
import threading
from concurrent.futures import ThreadPoolExecutor


def at_once(app, n, request):
    """Run request(test_client) from n threads released together; their answers in order."""
    barrier = threading.Barrier(n)

    def run(_):
        with app.test_client() as c:
            barrier.wait()
            return request(c)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))
