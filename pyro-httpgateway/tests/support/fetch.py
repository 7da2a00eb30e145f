# Python's own HTTP client (urllib) doing requests for the tests: reads {"base": ..., "requests":
# [{"method", "path", "headers", "body" (base64 or null)}]} on stdin, prints one JSON list of
# {"status", "headers" ([name, value] pairs as received), "body" (base64), "seconds"}.
import base64, json, sys, time, urllib.error, urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(NoRedirect)
job = json.load(sys.stdin)
answers = []
for req in job["requests"]:
    body = base64.b64decode(req["body"]) if req.get("body") is not None else None
    request = urllib.request.Request(job["base"] + req["path"], data=body, method=req["method"],
                                     headers=req.get("headers") or {})
    started = time.monotonic()
    try:
        response = opener.open(request, timeout=60)
    except urllib.error.HTTPError as error:
        response = error
    data = response.read()
    answers.append({"status": response.status if hasattr(response, "status") else response.code,
                    "headers": [[k, v] for k, v in response.headers.items()],
                    "body": base64.b64encode(data).decode("ascii"),
                    "seconds": time.monotonic() - started})
print(json.dumps(answers))
