"""FTPS with PROT P through ftplib.FTP_TLS: every listing and a RETR. Prints the outcomes as JSON.

ftplib ends each protected data connection with unwrap(), which raises unless the
server closed it with a TLS close_notify. Usage: python3 tls-listings.py PORT USER PASSWORD FILE
"""
import ftplib
import json
import ssl
import sys

port, user, password, name = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE  # the test server's certificate is self-signed
client = ftplib.FTP_TLS(timeout=15, context=context)
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
