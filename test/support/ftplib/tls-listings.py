"""FTPS with PROT P through ftplib.FTP_TLS: every listing and a RETR. Prints the outcomes as JSON.

ftplib ends each protected data connection with unwrap(), which raises unless the
server closed it with a TLS close_notify. Usage: python3 tls-listings.py PORT USER PASSWORD FILE [stock]

The data connections resume the control connection's TLS session, as the server requires
by default (ftp.tlsRequireSessionReuse) and as lftp and curl do. With "stock",
ftplib.FTP_TLS as it comes, which makes a new TLS session on every data connection.
"""
import ftplib
import json
import ssl
import sys

port, user, password, name = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
stock = sys.argv[5:] == ["stock"]


class ResumingFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose protected data connections resume the control connection's TLS session."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size


context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE  # the test server's certificate is self-signed
client = (ftplib.FTP_TLS if stock else ResumingFTP_TLS)(timeout=15, context=context)
client.connect("127.0.0.1", port)
client.login(user, password)
client.prot_p()


def outcome(call):
    try:
        return {"ok": call()}
    except Exception as error:  # ssl.SSLError, ftplib.Error, OSError: report it, go on
        return {"error": repr(error)}


listed = []
received = []
out = {
    "nlst": outcome(lambda: client.nlst()),
    "mlsd": outcome(lambda: [entry for entry, _ in client.mlsd()]),
    "list": outcome(lambda: [client.retrlines("LIST", listed.append), len(listed)][1]),
    "retr": outcome(lambda: [client.retrbinary("RETR " + name, received.append), b"".join(received).decode()][1]),
}
client.quit()
print(json.dumps(out))
