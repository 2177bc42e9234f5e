"""A real RTSP server (GStreamer's) for tests and benchmarks, run by the system Python.

The venv cannot import GStreamer's introspection bindings, so ``RtspServer`` starts this very
file with ``/usr/bin/python3`` as a subprocess. Mount points:
``/ball`` a moving pattern, ``/black`` a black picture, ``/frozen`` a still pattern,
``/cam0`` … ``/cam{N-1}`` (``mounts=N``) moving pictures, one pipeline per client, H.264
or (cheaper to start, every frame a key frame) RTP/JPEG. With ``login=(user, password)``
every mount asks for that login, by ``auth`` ``basic`` or ``digest`` (as most cameras do).
"""

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

SYSTEM_PYTHON = "/usr/bin/python3"
H264 = (
    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} threads=1 "
    "! rtph264pay name=pay0 pt=96 config-interval=1"
)
MJPEG = "jpegenc quality=60 ! rtpjpegpay name=pay0 pt=26"
ENCODERS = {"h264": H264, "mjpeg": MJPEG}
SOURCE = (
    "videotestsrc is-live=1 pattern={pattern} "
    "! video/x-raw,width=320,height=240,framerate={fps}/1 ! "
)
PATTERNS = {"ball": "ball", "black": "black", "frozen": "pinwheel"}
START_TIMEOUT_S = 10.0


class RtspServer:
    """The GStreamer RTSP server on ``port`` as a subprocess; ``url(name)`` of each mount."""

    def __init__(
        self,
        port: int,
        mounts: int = 0,
        fps: int = 10,
        codec: str = "h264",
        login: tuple[str, str] | None = None,
        auth: str = "digest",
    ) -> None:
        if codec not in ENCODERS:
            raise ValueError(f"codec must be one of {sorted(ENCODERS)}")
        if auth not in ("basic", "digest"):
            raise ValueError("auth must be basic or digest")
        self.login = login
        self.auth = auth
        self.port = port
        self.mounts = mounts
        self.codec = codec
        self.fps = fps
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @staticmethod
    def available() -> str | None:
        """None if the server can run here, else why not."""
        if not Path(SYSTEM_PYTHON).exists():
            return f"{SYSTEM_PYTHON} is missing"
        probe = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0')"],
            capture_output=True,
        )
        if probe.returncode:
            return "GStreamer RTSP server bindings missing (apt: gir1.2-gst-rtsp-server-1.0)"
        return None

    def url(self, name: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def start(self) -> "RtspServer":
        args = [SYSTEM_PYTHON, __file__, str(self.port), str(self.mounts), str(self.fps)]
        args.append(self.codec)
        if self.login:
            args.extend([self.auth, *self.login])
        # The server's messages go to a file: an unread pipe fills up and stalls the server.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (lives as long as the server)
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                raise RuntimeError(f"RTSP server exited: {self._log.read().decode()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"RTSP server did not listen on {self.port} in {START_TIMEOUT_S} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "RtspServer":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _serve(  # runs under the system Python
    port: int, mounts: int, fps: int, codec: str, login: list[str] | None = None
) -> None:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    gi.require_version("GstRtsp", "1.0")
    from gi.repository import GLib, Gst, GstRtsp, GstRtspServer

    Gst.init(None)
    # Hundreds of clients (the benchmark) need more descriptors than the usual soft limit.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    role = None
    if login:
        method, user, password = login
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "viewer")
        if method == "digest":
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(user, password, token)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        server.set_auth(auth)
        role = Gst.Structure.from_string(
            "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
        )[0]
    points = server.get_mount_points()
    for name, pattern in PATTERNS.items():
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(f"( {SOURCE.format(pattern=pattern, fps=fps)}{H264.format(fps=fps)} )")
        factory.set_shared(True)
        if role is not None:
            factory.add_role_from_structure(role)
        points.add_factory(f"/{name}", factory)
    if mounts:
        # Not shared: one shared pipeline behind hundreds of clients coming and going stalls
        # GStreamer's server; a pipeline per client is what separate cameras are anyway.
        each = GstRtspServer.RTSPMediaFactory()
        encoder = ENCODERS[codec].format(fps=fps)
        source = SOURCE.format(pattern="ball", fps=fps)
        if codec == "mjpeg":
            source = source.replace("framerate=", "format=I420,framerate=")
        each.set_launch(f"( {source}{encoder} )")
        if role is not None:
            each.add_role_from_structure(role)
        for index in range(mounts):
            points.add_factory(f"/cam{index}", each)
    server.attach(None)
    GLib.MainLoop().run()


if __name__ == "__main__":
    os.environ.setdefault("GST_DEBUG", "0")
    _serve(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:8] or None)
