# A Spec 2 ("Alibaba Cloud specification") model server written like the sample in IMS's
# documentation: aiohttp, request.post(), {"Text": ...} back. It checks the token the way
# the sample's TODO asks, prints what it received as one JSON line (for the test to read),
# and listens on a free loopback port that it prints first.
import json
import socket
import sys

from aiohttp import web

TOKEN = sys.argv[1] if len(sys.argv) > 1 else None


async def handle(request):
    data = await request.post()
    message = data.get('Message', "")
    token = data.get('Token', None)
    extend_data = data.get('ExtendData', "")
    print(json.dumps({"message": message, "token": token, "extend_data": extend_data,
                      "content_type": request.content_type}), flush=True)
    if TOKEN is not None and token != TOKEN:
        return web.Response(status=403, content_type="application/json",
                            text=json.dumps({"Code": "InvalidToken", "Message": "bad token"}))
    last = json.loads(message)[-1]["content"]
    result = "Hello. I am your AI assistant. You said: " + last
    resp = {
        "Text": result
    }
    return web.Response(text=json.dumps(resp))


app = web.Application()
app.add_routes([web.post('/', handle)])

if __name__ == '__main__':
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print("PORT", sock.getsockname()[1], flush=True)
    web.run_app(app, sock=sock, print=None)
