# shellcheck shell=bash
# Reads a PEM certificate request with a DER parser (Python's standard library, on every Ubuntu node),
# not from `openssl req -text`, whose text a crafted request can bend: it prints the subject and every
# name the request asks for, or fails naming what it refuses. Refused: anything but exactly one
# subject O and one CN; any attribute but one extension request holding one value; any extension but
# one subjectAltName; any name but a DNS name or an IP address; a DNS name that is not lower-case
# letters, digits, dashes and dots (no control character), or that names something inside the cluster
# (kubernetes, *.svc, *.cluster.local, localhost); an IP address in SERVICE_CIDR or POD_CIDR, or one
# that is loopback, link-local, multicast or unspecified.
# Output lines: "subject O=<o>,CN=<cn>", then "name <DNS name or IP address>" for each name.

# Prints what the request in FILE holds, as above; fails with the reason on standard error.
csr_names() {
  local file="$1"
  SERVICE_CIDR="$SERVICE_CIDR" POD_CIDR="$POD_CIDR" python3 - "$file" <<'PYTHON'
import base64
import ipaddress
import os
import re
import sys

OID_O, OID_CN = "2.5.4.10", "2.5.4.3"
EXTENSION_REQUEST, SUBJECT_ALT_NAME = "1.2.840.113549.1.9.14", "2.5.29.17"
DNS_TAG, IP_TAG = 0x82, 0x87
LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DNS_NAME = re.compile(rf"{LABEL}(\.{LABEL})*")
IN_CLUSTER = ("kubernetes", "kubernetes.default", "localhost")
IN_CLUSTER_SUFFIXES = (".svc", ".cluster.local", ".localhost")


class Refused(Exception):
    pass


def tlv(data, at):
    """(tag, value, next position) of the DER element at `at`."""
    if at + 2 > len(data):
        raise Refused("the request is truncated")
    tag, length, at = data[at], data[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 3 or at + count > len(data):
            raise Refused("the request has a length DER does not allow")
        length, at = int.from_bytes(data[at : at + count], "big"), at + count
    if at + length > len(data):
        raise Refused("the request is truncated")
    return tag, data[at : at + length], at + length


def elements(data):
    found, at = [], 0
    while at < len(data):
        tag, value, at = tlv(data, at)
        found.append((tag, value))
    return found


def only(data, tag, what):
    """The value of the single element of `data`, which must have `tag`."""
    found = elements(data)
    if len(found) != 1 or found[0][0] != tag:
        raise Refused(f"{what} is not what a kubelet sends")
    return found[0][1]


def oid(value):
    first, rest = divmod(value[0], 40) if value[0] < 80 else (2, value[0] - 80)
    parts, number = [first, rest], 0
    for byte in value[1:]:
        number = (number << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(number)
            number = 0
    return ".".join(map(str, parts))


def subject(name):
    """O and CN of an X.501 name, and nothing else."""
    values = {}
    for set_tag, rdn in elements(name):
        for pair_tag, pair in elements(rdn) if set_tag == 0x31 else [(None, b"")]:
            parts = elements(pair) if pair_tag == 0x30 else []
            if len(parts) != 2 or parts[0][0] != 0x06 or parts[1][0] not in (0x0C, 0x13):
                raise Refused("its subject is not what a kubelet sends")
            kind, text = oid(parts[0][1]), parts[1][1].decode("ascii", "replace")
            if kind not in (OID_O, OID_CN) or kind in values or not text.isprintable():
                raise Refused("its subject holds more than one O and one CN")
            values[kind] = text
    if set(values) != {OID_O, OID_CN}:
        raise Refused("its subject lacks an O or a CN")
    return f"O={values[OID_O]},CN={values[OID_CN]}"


def names(extensions):
    """The DNS names and IP addresses of the one subjectAltName extension."""
    found = None
    for tag, extension in elements(extensions):
        parts = elements(extension) if tag == 0x30 else []
        if not parts or parts[0][0] != 0x06 or oid(parts[0][1]) != SUBJECT_ALT_NAME or found is not None:
            raise Refused("it asks for an extension other than one subjectAltName")
        if parts[-1][0] != 0x04:
            raise Refused("its subjectAltName is not what a kubelet sends")
        found = elements(only(parts[-1][1], 0x30, "its subjectAltName"))
    return [checked_name(tag, value) for tag, value in found or []]


def checked_name(tag, value):
    if tag == DNS_TAG:
        text = value.decode("ascii", "replace")
        if not DNS_NAME.fullmatch(text) or len(text) > 253:
            raise Refused(f"it asks for the DNS name {text!r}, which is not a plain host name")
        if text in IN_CLUSTER or text.endswith(IN_CLUSTER_SUFFIXES):
            raise Refused(f"it asks for {text}, a name inside the cluster")
        return text
    if tag == IP_TAG and len(value) in (4, 16):
        address = ipaddress.ip_address(value)
        for variable in ("SERVICE_CIDR", "POD_CIDR"):
            network = ipaddress.ip_network(os.environ[variable])
            if address.version == network.version and address in network:
                raise Refused(f"it asks for {address}, in the cluster's {variable.split('_')[0].lower()} range")
        if address.is_loopback or address.is_link_local or address.is_multicast or address.is_unspecified:
            raise Refused(f"it asks for {address}, which is no node's address")
        return str(address)
    raise Refused("it asks for a name that is neither a DNS name nor an IP address")


PEM = re.compile(
    r"-----BEGIN CERTIFICATE REQUEST-----\n([A-Za-z0-9+/=\n]+)-----END CERTIFICATE REQUEST-----\n?"
)


def read(pem):
    body = PEM.fullmatch(pem)
    if not body:
        raise Refused("it is not one PEM certificate request")
    request = base64.b64decode(body.group(1).replace("\n", ""), validate=True)
    outer = elements(only(request, 0x30, "the request"))
    parts = elements(outer[0][1]) if len(outer) == 3 and outer[0][0] == 0x30 else []
    if len(parts) != 4 or parts[3][0] != 0xA0:
        raise Refused("the request is not what a kubelet sends")
    attributes = elements(parts[3][1])
    if len(attributes) > 1:
        raise Refused("it holds more than one attribute (a second extension request hides names)")
    attribute = elements(attributes[0][1]) if attributes else []
    if len(attribute) != 2 or attribute[0][0] != 0x06 or oid(attribute[0][1]) != EXTENSION_REQUEST:
        raise Refused("it holds no extension request, or another attribute")
    if attribute[1][0] != 0x31:
        raise Refused("its extension request is not what a kubelet sends")
    requested = names(only(attribute[1][1], 0x30, "its extension request (one value)"))
    if not requested:
        raise Refused("it asks for no name")
    return subject(parts[1][1]), requested


try:
    subject_line, requested = read(open(sys.argv[1], encoding="ascii").read())
except (Refused, UnicodeDecodeError, ValueError) as refused:
    sys.exit(str(refused) if isinstance(refused, Refused) else f"it cannot be read ({refused})")
print("subject", subject_line)
for requested_name in requested:
    print("name", requested_name)
PYTHON
}
