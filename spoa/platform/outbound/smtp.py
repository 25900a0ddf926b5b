"""An email handed to the SMTP relay under one deadline, as http.py's requests are.
The relay is the operator's own (SMTP_HOST), so the outbound policy is not asked."""
import smtplib

from spoa.platform.outbound.deadline import Deadline


class _SMTP(smtplib.SMTP):
    # _get_socket is where smtplib opens its connection: the hook its own SMTP_SSL and LMTP
    # override, and the only place to watch the socket before the server's greeting is read.
    # tests/test_outbound_http.py's SMTP cases fail if a smtplib release moves it.
    def __init__(self, deadline: Deadline):
        self._deadline = deadline
        super().__init__(timeout=deadline.remaining())

    def _get_socket(self, host, port, timeout):
        sock = super()._get_socket(host, port, self._deadline.remaining())
        self._deadline.watch(sock)  # the greeting and every exchange after it, to the QUIT
        return sock


def send(message, host: str, port: int, seconds: float) -> None:
    with Deadline(seconds) as deadline:
        smtp = _SMTP(deadline)
        try:
            smtp.connect(host, port)
            smtp.send_message(message)
            deadline.remaining()  # a reply cut short at the deadline is no acceptance
            smtp.quit()
        finally:
            smtp.close()
