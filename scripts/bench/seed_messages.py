"""Posts N messages to a thread over 8 keep-alive connections: the read benchmark's data."""
import http.client
import json
import sys
import threading

host, port, token, thread_id, total = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
workers = 8
failures = []


def post(share: int) -> None:
    conn = http.client.HTTPConnection(host, port)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for i in range(share):
        body = json.dumps({"content": f"seeded message {i}: " + "y" * 150})
        conn.request("POST", f"/api/v1/threads/{thread_id}/messages", body, headers)
        response = conn.getresponse()
        response.read()
        if response.status != 201:
            failures.append(response.status)


threads = [threading.Thread(target=post, args=(total // workers,)) for _ in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failures:
    sys.exit(f"{len(failures)} seeding requests failed: {failures[:5]}")
