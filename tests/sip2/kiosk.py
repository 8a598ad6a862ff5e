"""A kiosk for the tests: frames built and read by PyPI's `pysip2` codec (an implementation that is not
ours), sent over a real loopback socket, one frame out and one frame back."""

from __future__ import annotations

import socket

import pysip2

NOW = "20261207    120000"
BLANK = " " * 18


class Kiosk:
    def __init__(self, port: int, host: str = "127.0.0.1", encoding: str = "cp850", sock=None):
        self.sock = sock or socket.create_connection((host, port), timeout=10)
        self.encoding = encoding
        self.sequence = 0
        self.buffer = b""

    def close(self):
        self.sock.close()

    def raw(self, data: bytes) -> bytes:
        """Send bytes as they are; the one response frame (with its CR)."""
        self.sock.sendall(data)
        while b"\r" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buffer += chunk
        end = self.buffer.index(b"\r") + 1
        frame, self.buffer = self.buffer[:end], self.buffer[end:]
        return frame

    def send(self, message, checksum: bool = True):
        """A pysip2 model out; the decoded response (pysip2 verifies its checksum) back."""
        self.sequence = (self.sequence + 1) % 10
        frame = pysip2.encode_message(message, sequence_number=self.sequence if checksum else None,
                                      checksum=checksum, encoding=self.encoding)
        reply = self.raw(frame)
        decoded = pysip2.decode_message(reply, encoding=self.encoding)
        if checksum and decoded.message.__class__.__name__ != "RequestSCResend":
            assert decoded.sequence_number == self.sequence, reply
        return decoded.message

    def login(self, user="kiosk", password="secret", checksum=True):
        return self.send(pysip2.LoginRequest(uid_algorithm="0", pwd_algorithm="0", login_user_id=user,
                                             login_password=password, location_code="hall"), checksum)

    def status(self):
        return self.send(pysip2.SCStatusRequest(status_code="0", max_print_width="080", protocol_version="2.00"))

    def patron_status(self, card, pin=""):
        return self.send(pysip2.PatronStatusRequest(language="000", transaction_date=NOW, institution_id="lib",
                                                    patron_identifier=card, terminal_password="",
                                                    patron_password=pin))

    def patron_info(self, card, pin=None, summary=" " * 10):
        return self.send(pysip2.PatronInformationRequest(language="000", transaction_date=NOW, summary=summary,
                                                         institution_id="lib", patron_identifier=card,
                                                         terminal_password="", patron_password=pin))

    def item(self, barcode):
        return self.send(pysip2.ItemInformationRequest(transaction_date=NOW, institution_id="lib",
                                                       item_identifier=barcode, terminal_password=""))

    def checkout(self, card, barcode, pin=None, no_block="N", when=NOW):
        # pysip2's model will not encode an all-blank nb due date, which kiosks send: frame it by hand
        # with a placeholder and blank it, then fix the checksum with pysip2's own function.
        message = pysip2.CheckoutRequest(sc_renewal_policy="Y", no_block=no_block, transaction_date=when,
                                         nb_due_date=NOW, institution_id="lib", patron_identifier=card,
                                         item_identifier=barcode, terminal_password="", patron_password=pin)
        return self._blank_due(message)

    def renew(self, card, barcode, pin=None):
        message = pysip2.RenewRequest(third_party_allowed="N", no_block="N", transaction_date=NOW,
                                      nb_due_date=NOW, institution_id="lib", patron_identifier=card,
                                      patron_password=pin, item_identifier=barcode, terminal_password="")
        return self._blank_due(message)

    def checkin(self, barcode, no_block="N", when=NOW):
        return self.send(pysip2.CheckinRequest(no_block=no_block, transaction_date=when, return_date=when,
                                               current_location="hall", institution_id="lib",
                                               item_identifier=barcode, terminal_password=""))

    def end(self, card):
        return self.send(pysip2.EndPatronSessionRequest(transaction_date=NOW, institution_id="lib",
                                                        patron_identifier=card))

    def _blank_due(self, message):
        self.sequence = (self.sequence + 1) % 10
        frame = pysip2.encode_message(message, sequence_number=self.sequence, checksum=True,
                                      encoding=self.encoding)
        start = 2 + 2 + 18                      # command, two one-character flags, transaction date
        body = frame[:start] + b" " * 18 + frame[start + 18:frame.rindex(b"AZ") + 2]
        reply = self.raw(body + pysip2.calculate_checksum(body).encode() + b"\r")
        return pysip2.decode_message(reply, encoding=self.encoding).message
