"""A long-lived LibreOffice converter for one build worker (run by a Python that has ``uno``).

    python3 office_bridge.py FOLDER OWNER_PID SOFFICE

Started by ``msword.py`` the first time a worker converts a file; it starts soffice headless with
its own profile in FOLDER, listening on a named pipe, connects to it over UNO, then serves
conversions on the Unix socket FOLDER/socket: one JSON request a line
(``{"in": path, "out": path, "filter": name}``), one JSON answer (``{"ok": true}`` or
``{"error": text}``). Opening a document in a running soffice costs ~0.2 s where starting
soffice for it costs ~3.5 s.

It ends, stopping soffice and deleting FOLDER (profile and work files), when the worker that
owns it is gone (checked every second, so a crashed or killed build leaves nothing), when it has
been idle for IDLE_SECONDS, when it is told to quit, or when soffice fails: the next file then
starts a fresh converter. This file imports only the standard library and ``uno``: Debian's uno
lives in the system Python, not in the project's virtual environment.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

IDLE_SECONDS = 300
CONNECT_SECONDS = 90


def main():
    folder, owner, soffice = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    import uno
    from com.sun.star.beans import PropertyValue

    def prop(name, value):
        item = PropertyValue()
        item.Name, item.Value = name, value
        return item

    pipe = f"policy-search-{os.getpid()}"
    office = subprocess.Popen(
        [soffice, f"-env:UserInstallation=file://{folder}/profile", "--headless", "--invisible",
         "--norestore", "--nologo", "--nodefault", "--nolockcheck",
         f"--accept=pipe,name={pipe};urp;"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    with open(os.path.join(folder, "office.pid"), "w") as record:
        record.write(str(office.pid))  # its process group: what a reader kills on a timeout
    state = {"last": time.monotonic(), "busy": False}

    def finish(code=0):
        try:
            os.killpg(office.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        office.wait()
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(code)

    def watch():
        while True:
            time.sleep(1)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                finish()
            if office.poll() is not None:
                finish(1)
            if not state["busy"] and time.monotonic() - state["last"] > IDLE_SECONDS:
                finish()

    threading.Thread(target=watch, daemon=True).start()
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:  # noqa: BLE001 - soffice is still starting
            if time.monotonic() > deadline:
                finish(1)
            time.sleep(0.2)
    desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop",
                                                              context)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(os.path.join(folder, "socket.tmp"))
    server.listen(4)
    os.rename(os.path.join(folder, "socket.tmp"), os.path.join(folder, "socket"))  # ready
    while True:
        connection, _ = server.accept()
        state["busy"] = True
        with connection, connection.makefile("rw", encoding="utf-8") as stream:
            try:
                request = json.loads(stream.readline() or "{}")
            except ValueError:
                request = {}
            if request.get("quit"):
                finish()
            answer, fatal = convert(desktop, uno, prop, request)
            try:
                stream.write(json.dumps(answer) + "\n")
                stream.flush()
            except OSError:
                pass  # the reader gave up waiting
        state["busy"], state["last"] = False, time.monotonic()
        if fatal:
            finish(1)


def convert(desktop, uno, prop, request):
    """Convert one file; (answer, whether soffice is no longer usable)."""
    try:
        document = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(request["in"]), "_blank", 0,
            (prop("Hidden", True), prop("ReadOnly", True), prop("UpdateDocMode", 0)))
    except Exception as error:  # noqa: BLE001 - LibreOffice's own exceptions
        return {"error": f"cannot open: {type(error).__name__}"}, _dead(error)
    if document is None:
        return {"error": "LibreOffice could not open the file"}, False
    try:
        document.storeToURL(uno.systemPathToFileUrl(request["out"]),
                            (prop("FilterName", request["filter"]),))
        return {"ok": True}, False
    except Exception as error:  # noqa: BLE001
        return {"error": f"cannot convert: {type(error).__name__}"}, _dead(error)
    finally:
        try:
            document.close(True)
        except Exception:  # noqa: BLE001 - closing a document soffice already dropped
            pass


def _dead(error):
    return "Disposed" in type(error).__name__ or "RuntimeException" in type(error).__name__


if __name__ == "__main__":
    main()
