"""ABOR during a RETR, sent the three ways real clients send it; ALLO. Prints the replies as JSON.

Usage: python3 abort.py PORT USER PASSWORD FILE (FILE too big for the socket buffers).
"""
import ftplib
import json
import socket
import sys

port, user, password, name = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def guarded(call):
    """The reply text, also when ftplib raises on it."""
    try:
        return call()
    except ftplib.Error as error:
        return str(error)


def retrieving():
    """A logged-in session with a RETR under way: one chunk read, the rest held back."""
    client = ftplib.FTP(timeout=15)
    client.connect("127.0.0.1", port)
    client.login(user, password)
    client.voidcmd("TYPE I")
    data = client.transfercmd("RETR " + name)
    data.recv(65536)
    return client, data


def abort_by_hand(send_abort):
    client, data = retrieving()
    send_abort(client.sock)
    replies = [guarded(client.getresp)]
    data.close()
    replies += [guarded(client.getresp), guarded(lambda: client.sendcmd("NOOP"))]
    client.quit()
    return replies


out = {}

# Python's own ftplib.abort(): all of "ABOR\r\n" as urgent data (its LF leaves the stream).
client, data = retrieving()
out["ftplib"] = [guarded(client.abort)]
data.close()
out["ftplib"] += [guarded(client.getresp), guarded(lambda: client.sendcmd("NOOP"))]
out["allo"] = guarded(lambda: client.sendcmd("ALLO 1000"))
client.quit()


def rfc959(sock):
    # RFC 959 §4.1.3: Telnet IP, then the Synch: IAC DM with the DM as urgent data.
    sock.sendall(b"\xff\xf4\xff")
    sock.send(b"\xf2", socket.MSG_OOB)
    sock.sendall(b"ABOR\r\n")


def lftp_way(sock):
    # lftp: only the first IAC as urgent data, then IP IAC DM in the stream.
    sock.send(b"\xff", socket.MSG_OOB)
    sock.sendall(b"\xf4\xff\xf2ABOR\r\n")


out["rfc959"] = abort_by_hand(rfc959)
out["lftp"] = abort_by_hand(lftp_way)
print(json.dumps(out))
