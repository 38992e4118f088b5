#!/usr/bin/env python3
"""Writes the fuzzers' starting inputs into DIR/<target>/: the SIP messages of tests/corpus,
the RFC 4475 torture tests and every SIPp scenario message (keywords filled in); the SDP
bodies among them; RTP, RTCP and DTMF records; and, for the endpoint, each SIPp scenario as
a sequence of records (see fuzz/targets/endpoint.rs). Usage: fuzz/seeds.py DIR"""
import pathlib, re, struct, sys

root = pathlib.Path(__file__).resolve().parent.parent
out = pathlib.Path(sys.argv[1])
for t in ("sip_message", "sdp", "rtp_rtcp", "endpoint"):
    (out / t).mkdir(parents=True, exist_ok=True)

def put(target, name, data):
    (out / target / name).write_bytes(data if isinstance(data, bytes) else data.encode())

def body_of(msg):
    return msg.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in msg else b""

sip = [(p.stem, p.read_bytes()) for p in sorted((root / "tests/corpus").glob("*.sip"))]
sip += [(p.stem, p.read_bytes()) for p in sorted((root / "tests/fixtures/rfc4475").glob("*.dat"))]

def fill(text, uac, literal_tag, step=0):
    """A SIPp message with its keywords filled in; `uac`: SIPp is the caller."""
    tag = literal_tag or "$tag"
    ours = f"<sip:service@127.0.0.1:5060>;tag={tag}" if uac else "<sip:service@127.0.0.1:5061>"
    subs = {"local_ip": "127.0.0.1", "remote_ip": "127.0.0.1", "media_ip": "127.0.0.1",
            "local_port": "5061", "remote_port": "5060", "media_port": "6000", "service": "service",
            "call_number": "1", "pid": "42", "transport": "UDP", "media_ip_type": "4",
            "local_ip_type": "4", "call_id": "1-42@127.0.0.1", "branch": f"z9hG4bK-42-s{step}",
            "branch-N": "z9hG4bK-42-1-0", "next_url": "sip:service@127.0.0.1:5060", "routes": "",
            "last_To:": f"To: {ours}",
            "last_Via:": "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=" + ("$branch" if not literal_tag else "z9hG4bK1"),
            "last_From:": f"From: <sip:callshard@127.0.0.1:5060>;tag={tag}",
            "last_Call-ID:": "Call-ID: " + ("$callid" if not literal_tag else "c1@127.0.0.1"),
            "last_CSeq:": "CSeq: 1 INVITE"}
    text = re.sub(r"^[ \t]*\[routes\][ \t]*\n", "", text, flags=re.M)
    ours_branch = "$branch" if not literal_tag else "z9hG4bK1"
    subs.update({"$via": "SIP/2.0/UDP 127.0.0.1:5060;branch=" + ours_branch, "$cseq": "1 INVITE",
                 "$from": f"<sip:callshard@127.0.0.1:5060>;tag={tag}", "$to": "<sip:service@127.0.0.1:5061>",
                 "$callid": "$callid" if not literal_tag else "c1@127.0.0.1"})
    text = re.sub(r"\[branch-(\d+)\]", r"z9hG4bK-42-1-\1", text).replace("[media_port+2]", "6002")
    text = re.sub(r"\[(\$?[A-Za-z_:-]+)\]", lambda m: subs.get(m.group(1), m.group(0)), text)
    lines = [l.strip() for l in text.strip().splitlines()]
    head, _, body = "\r\n".join(lines).partition("\r\n\r\n")
    body = body + "\r\n" if body else ""
    return (head.replace("[len]", str(len(body))) + "\r\n\r\n" + body).encode()

for xml in sorted((root / "sipp_stress/scenarios").glob("*.xml")):
    text = xml.read_text(encoding="latin-1")
    steps = re.findall(r"<(send|recv|pause)\b[^>]*?(?:/>|>(?:\s*<!\[CDATA\[(.*?)\]\]>)?)", text, re.S)
    uac = steps and steps[0][0] == "send"
    records = [] if uac else [("A" if "auth" in xml.stem else "D") + "sip:service@127.0.0.1:5061"]
    for i, (kind, cdata) in enumerate(steps):
        if kind == "send" and cdata.strip():
            put("sip_message", f"sipp-{xml.stem}-{i}", fill(cdata, uac, "a6c85cf", i))
            msg = fill(cdata, uac, None, i)
            records.append(b"S" + msg)
            if body_of(msg):
                put("sdp", f"sipp-{xml.stem}-{i}", body_of(msg))
        elif kind == "pause":
            records.append("T1000")
    records.append("T40000")
    put("endpoint", f"sipp-{xml.stem}", b"\n%%\n".join(r if isinstance(r, bytes) else r.encode() for r in records))

for name, msg in sip:
    put("sip_message", name, msg)
    if body_of(msg).startswith(b"v=0"):
        put("sdp", name, body_of(msg))
    put("endpoint", "msg-" + name, msg)

for name, const in [("desk_phone", "DESK_PHONE"), ("softphone", "SOFTPHONE")]:
    src = (root / "tests/sdp.rs").read_text()
    m = re.search(const + r': &str = "(.*?)";', src, re.S)
    if m:
        body = re.sub(r"\\\n\s*", "", m.group(1)).replace("\\r", "\r").replace("\\n", "\n")
        put("sdp", name, body)

def rtp(seq, pt=0, payload=b"\xff" * 20, marker=0, ssrc=0xA):
    return struct.pack("!BBHII", 0x80, (marker << 7) | pt, seq, seq * 160, ssrc) + payload

def rec(op, data=b""):
    return bytes([op, len(data)]) + data

sr = struct.pack("!BBHI", 0x81, 200, 12, 0xB) + struct.pack("!QIII", 1 << 32, 160, 10, 1600) + bytes(24)
sdes = struct.pack("!BBHI", 0x81, 202, 3, 0xB) + b"\x01\x04host\x00\x00"
bye = struct.pack("!BBHI", 0x81, 203, 1, 0xB)
event = struct.pack("!BBH", 5, 10, 800)
end = struct.pack("!BBH", 5, 0x8A, 1600)
put("rtp_rtcp", "rtp", rtp(1))
put("rtp_rtcp", "rtcp", sr + sdes)
put("rtp_rtcp", "echo-call", b"".join(rec(0, rtp(s)) + rec(3, b"\x05" * 5) for s in range(20)) + rec(1, sr + sdes) + rec(5, sr + sdes + bye))
put("rtp_rtcp", "dtmf", b"".join(rec(6, rtp(7, 101, e, m, 0xC)) for e, m in [(event, 1), (event, 0), (end, 0), (end, 0)]) + rec(4, b"") + rec(3, bytes(200)))
put("rtp_rtcp", "mux-tone", b"".join(rec(2, rtp(s, ssrc=0xD)) + rec(2, sr) + rec(3, bytes(25)) for s in range(10)))
