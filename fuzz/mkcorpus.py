#!/usr/bin/env python3
"""mkcorpus.py - write the seed corpora fuzz/corpus/NAME/ from the
fixtures (tests/fixtures, the SPEC's test vectors), the example
configurations and the HTTP contract.  Run from the top directory:

    python3 fuzz/mkcorpus.py

It replaces the files it writes and leaves any other file alone (an
input libFuzzer found and someone chose to keep).  Seeds stay small:
libFuzzer mutates a 2 KB bundle far faster than a 240 KB one.
"""
import base64
import os
import re
import subprocess

FIX = 'tests/fixtures'
OUT = 'fuzz/corpus'
BLOCK = re.compile(r'(?:#[^\n]*\n)*-----BEGIN CERTIFICATE-----\n.*?'
                   r'-----END CERTIFICATE-----\n', re.S)


def put(name, path, data):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, path), 'wb') as f:
        f.write(data)


def read(path, mode='r'):
    with open(path, mode) as f:
        return f.read()


def blocks(path):
    return BLOCK.findall(read(path))


def label(block):
    m = re.search(r'# Label: "(.*)"', block)
    return m.group(1) if m else None


def der(block):
    b64 = block[block.index('-----BEGIN'):].splitlines()[1:-1]
    return base64.b64decode(''.join(b64))


def pick(path, labels):
    return [b for b in blocks(path) if label(b) in labels]


def pem_seeds():
    up = FIX + '/upstream/'
    put('pem', 'vector-one-cert.pem', read(FIX + '/vectors/bundle.pem'))
    put('pem', 'edge-mkcert-utf8.pem',
        read(FIX + '/edge/mkcert-utf8-sample.pem'))
    for f in ('only-3-certs.pem', 'captive-portal.html', 'empty.pem'):
        put('pem', 'hostile-' + f, read(FIX + '/hostile/' + f, 'rb'))
    put('pem', 'hostile-der-instead-of-pem.der',
        read(FIX + '/hostile/der-instead-of-pem.der', 'rb'))
    # The hostile files cut down to the block that makes them hostile.
    t = read(FIX + '/hostile/truncated-mid-cert.pem')
    last = blocks(FIX + '/hostile/truncated-mid-cert.pem')[-1]
    put('pem', 'hostile-truncated-tail.pem', t[t.rindex(last):])
    c = read(FIX + '/hostile/corrupted-base64.pem')
    i = c.index('*!@#%&?^')
    put('pem', 'hostile-corrupted-base64-block.pem',
        c[c.rindex('\n\n', 0, i) + 2:c.index('-----END', i) + 26])
    put('pem', 'hostile-leaf-appended-tail.pem',
        ''.join(blocks(FIX + '/hostile/leaf-appended.pem')[-2:]))
    put('pem', 'hostile-evil-root.pem', ''.join(
        b for b in blocks(FIX + '/hostile/evil-root-added.pem')
        if 'Evil Root' in b))
    isrg = pick(up + 'cacert-2026.07.22.pem', ['ISRG Root X1'])[0]
    put('pem', 'hostile-duplicate-isrg.pem', isrg + '\n' + isrg)
    # Real blocks with what the reader must keep as it is.
    put('pem', 'upstream-2019-v1-serial0.pem', ''.join(pick(
        up + 'cacert-2019.11.28.pem',
        ['Verisign Class 3 Public Primary Certification Authority - G3',
         'Go Daddy Class 2 CA'])))
    put('pem', 'upstream-2019-certifi-escapes.pem', ''.join(
        b for b in blocks(up + 'cacert-2019.11.28.pem') if '\\u' in b or
        '\\x' in b))
    put('pem', 'upstream-2021-negative-serial.pem',
        ''.join(pick(up + 'cacert-2021.05.30.pem', ['EC-ACC'])))
    put('pem', 'upstream-2026-p521.pem', ''.join(pick(
        up + 'cacert-2026.07.22.pem', ['e-Szigno TLS Root CA 2023'])))
    v = read(FIX + '/vectors/bundle.pem')
    put('pem', 'vector-crlf.pem', v.replace('\n', '\r\n'))
    put('pem', 'vector-no-final-newline.pem', v.rstrip('\n'))
    put('pem', 'vector-label-escapes.pem',
        '# Label: "A\\xe9B\\u0151C\\U0001F600 \\q"\n' + v)
    put('pem', 'vector-private-key-block.pem', v +
        '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHCAkK'
        'CwwNDg8QERITFBUWFxgZGhscHR4f\n-----END PRIVATE KEY-----\n')
    put('pem', 'vector-trusted-certificate.pem',
        v.replace('BEGIN CERTIFICATE', 'BEGIN TRUSTED CERTIFICATE')
        .replace('END CERTIFICATE', 'END TRUSTED CERTIFICATE'))
    put('pem', 'vector-pem-headers.pem', v.replace(
        '-----BEGIN CERTIFICATE-----\n', '-----BEGIN CERTIFICATE-----\n'
        'Proc-Type: 4,ENCRYPTED\n\n'))


def cert_seeds():
    up = FIX + '/upstream/'
    put('cert', 'vector.der', der(blocks(FIX + '/vectors/bundle.pem')[0]))
    put('cert', 'comodo-ecc-p384.der',
        read(FIX + '/hostile/der-instead-of-pem.der', 'rb'))
    for name, path, lab in (
            ('verisign-g3-v1', '2019.11.28',
             'Verisign Class 3 Public Primary Certification Authority - G3'),
            ('godaddy-serial0', '2019.11.28', 'Go Daddy Class 2 CA'),
            ('ec-acc-negative-serial', '2021.05.30', 'EC-ACC'),
            ('e-szigno-p521', '2026.07.22', 'e-Szigno TLS Root CA 2023'),
            ('isrg-x1-rsa4096', '2026.07.22', 'ISRG Root X1'),
            ('isrg-x2-p384', '2026.07.22', 'ISRG Root X2')):
        put('cert', name + '.der',
            der(pick(up + 'cacert-' + path + '.pem', [lab])[0]))
    for b in blocks(up + 'cacert-2019.11.28.pem'):
        if '\\u' in b:
            put('cert', 'netlock-utf8-names.der', der(b))
            break
    leaf = blocks(FIX + '/hostile/leaf-appended.pem')[-1]
    put('cert', 'evil-leaf.der', der(leaf))


def sig_seeds():
    v = FIX + '/vectors/'
    sig = read(v + 'bundle.pem.minisig')
    pub = read(v + 'test.pub')
    put('sig', 'vector.minisig', sig)
    put('sig', 'vector-legacy.minisig', read(v + 'bundle.pem.legacy.minisig'))
    put('sig', 'vector-crlf.minisig', sig.replace('\n', '\r\n'))
    put('sig', 'vector-no-final-newline.minisig', sig.rstrip('\n'))
    put('sig', 'vector-test.pub', pub)
    put('sig', 'vector-test-crlf.pub', pub.replace('\n', '\r\n'))
    put('sig', 'vector-test-key-string', pub.splitlines()[1])
    lines = sig.splitlines(True)
    put('sig', 'vector-minisign-comment.minisig', lines[0] + lines[1] +
        'trusted comment: timestamp:1767225600\tfile:bundle.pem\thashed\n'
        + lines[3])


def meta_seeds():
    v = read(FIX + '/vectors/bundle.pem.minisig').splitlines()[2]
    t = v[len('trusted comment: '):]
    put('meta', 'vector', t)
    put('meta', 'max-numbers', 'format:cabundle/1\tprofile:a.b_c+d-e\t'
        'version:9223372036854775807\tcreated:1\t'
        'expires:9223372036854775807\tsize:9223372036854775807\t'
        'sha256:' + 'f' * 64)
    put('meta', 'profile-64', t.replace('profile:test',
                                        'profile:' + 'p' * 64))
    put('meta', 'minisign-default', 'timestamp:1767225600\t'
        'file:bundle.pem\thashed')
    put('meta', 'key-list', 'format:cabundle-keys/1\tkeys:RWRWR1qnVGNHTAOh')
    put('meta', 'fields-swapped',
        t.replace('created:1767225600\texpires:1768435200',
                  'expires:1768435200\tcreated:1767225600'))


def config_seeds():
    put('config', 'cabundled.conf.example', read('cabundled.conf.example'))
    put('config', 'mirror', '[mirror]\nurl = https://ca-mirror.hq.example/'
        '    ; or file:///media/usb/mirror\nprofile = mozilla\n'
        'key = RWRWR1qnVGNHTAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4\n')
    put('config', 'vet-lists', '[vet]\npinned_digest = ' + 'ab' * 32 +
        ', ' + ':'.join(['cd'] * 32) + '\nanchor = none\nanchor = ' +
        'ef' * 32 + '\nmax_removed = 25\nexpired = keep\n'
        'require_pinned_digest = yes\n')
    put('config', 'upstream-pins', '[upstream]\npinned_pubkey = sha256//'
        'YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=;sha256//'
        'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n'
        'allow_insecure_http = true\nurl = http://127.0.0.1:8443/generate/\n')
    put('config', 'http-tls-and-overrides', b'[http]\nlisten = ::1\n'
        b'port = 8443\ntls_cert = /etc/cabundle/tls/cert.pem\n'
        b'tls_key = /etc/cabundle/tls/key.pem\n\0release.sign_validity=7200'
        b'\0release.resign_after=3600\0server.actor=fuzz\0vet.max_removed=5%')
    put('config', 'bad-resign-after', '[release]\nsign_validity = 3600\n'
        'resign_after = 3600\n')
    put('config', 'long-line', '[server]\ndatadir = /' + 'd' * 200 + '\n')


def copts_seeds():
    put('copts', 'cabundle.conf.example',
        read('contrib/systemd/cabundle.conf.example'))
    put('copts', 'readme', 'from = https://cabundle.example.org\n'
        'key = RWQ...            ; repeat for rotation\nprofile = org\n'
        'python = /usr/bin/python3\noutput = /etc/pki/tls/org.pem\n'
        'state = /var/lib/cabundle-client/state.json\n')
    put('copts', 'lists', ''.join('key = RW%d\npython = /p%d\noutput = /o%d\n'
                                  'capath = /c%d\n' % (i, i, i, i)
                                  for i in range(8)) +
        'pip = yes\ntimeout = 3600\ncacert = /etc/ca.pem\n')
    put('copts', 'section', '[client]\nfrom = file:///media/usb\n')


def route_seeds():
    fp = 'b565715 0d5a25c0502da9ba618be627efe55af773cbd1f74a631b12fc5e0fe01'
    fp = fp.replace(' ', '')
    urls = {
        'index': '/', 'healthz': '/healthz', 'metrics': '/metrics',
        'pubkey': '/v1/pubkey', 'profiles': '/v1/profiles',
        'upstream': '/v1/upstream', 'audit': '/v1/audit',
        'latest-pem': '/v1/mozilla/cacert.pem',
        'latest-sig': '/v1/org-only/cacert.pem.minisig',
        'version-pem': '/v1/mozilla/42/cacert.pem',
        'version-sig': '/v1/a.b_c+d-e/9223372036854775807/cacert.pem.minisig',
        'history': '/v1/org/history', 'diff': '/v1/mozilla/diff/1/2',
        'page-profile': '/p/mozilla', 'page-release': '/p/mozilla/7',
        'page-quarantine': '/quarantine', 'page-audit': '/audit',
        'page-cert': '/cert/' + fp,
        'bad-dotdot': '/v1/../v1/pubkey', 'bad-double-slash': '//v1/pubkey',
        'bad-version-zero': '/v1/mozilla/0/cacert.pem',
        'bad-leading-zero': '/p/mozilla/07', 'bad-cert-upper':
        '/cert/' + fp.upper(), 'bad-profile-65':
        '/v1/' + 'p' * 65 + '/cacert.pem', 'bad-version-2^63':
        '/v1/mozilla/diff/1/9223372036854775808',
        'bad-trailing-slash': '/v1/mozilla/history/',
    }
    for k, u in urls.items():
        put('route', k, u)


def frame(kind, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return (len(payload) + 1).to_bytes(4, 'big') + kind + payload


def privmsg_seeds():
    v = read(FIX + '/vectors/bundle.pem.minisig')
    t = v.splitlines()[2][len('trusted comment: '):]
    put('privmsg', 'sign', frame(b'S', t))
    put('privmsg', 'sign-twice', frame(b'S', t) + frame(b'S', t))
    put('privmsg', 'hello', frame(b'K', '4C476354A75A4756 '
                                  'RWRWR1qnVGNHTAOhnT4GxP8s0aWgFUT5o8Lw'
                                  'ZslDA4ssOrcXJ4yltlVG'))
    put('privmsg', 'answer', frame(b'G', v))
    put('privmsg', 'refusal', frame(b'E', 'created is not now'))
    put('privmsg', 'non-canonical', frame(b'S', t + '\t'))
    put('privmsg', 'short', frame(b'S', t)[:9])
    put('privmsg', 'empty', b'\0\0\0\0')


def certdata_objects(path):
    """certdata.txt's objects (comment lines dropped) by CKA_LABEL."""
    body = read(path).split('\nBEGINDATA\n', 1)[1]
    objs = []
    for chunk in body.split('\n\n'):
        lines = [x for x in chunk.splitlines() if not x.startswith('#')]
        lab = [x for x in lines if x.startswith('CKA_LABEL ')]
        objs.append((lab[0][len('CKA_LABEL UTF8 "'):-1] if lab else '',
                     '\n'.join(lines) + '\n'))
    return objs


def certdata_pick(path, labels):
    return ''.join(o for lab, o in certdata_objects(path) if lab in labels)


def certdata_seeds():
    # Cut-down files: BEGINDATA and a few real objects, no comments.
    cd = FIX + '/certdata/certdata-'
    b = 'BEGINDATA\n'
    put('certdata', 'globalsign.txt', b + certdata_pick(
        cd + '2024-11-15.txt', ['Mozilla Builtin Roots',
                                'GlobalSign Root CA']))
    put('certdata', 'entrust-dated.txt', b + certdata_pick(
        cd + '2024-11-15.txt', ['Entrust.net Premium 2048 Secure Server CA']))
    put('certdata', 'izenpe-trust-dated.txt', b + certdata_pick(
        cd + '2026-04-09.txt', ['Izenpe.com']))
    put('certdata', 'distrust-alone.txt', b + certdata_pick(
        cd + '2019-11-26.txt', ['Distrust: O=Egypt Trust, OU=VeriSign '
                                'Trust Network (cert 1/3)',
                                'MITM subCA 1 issued by Trustwave']))
    put('certdata', 'header.txt', read(cd + '2024-11-15.txt').split(
        'BEGINDATA\n', 1)[0] + b + certdata_pick(
            cd + '2024-11-15.txt', ['Mozilla Builtin Roots']))
    g = certdata_pick(cd + '2024-11-15.txt', ['GlobalSign Root CA'])
    put('certdata', 'globalsign-crlf.txt', (b + g).replace('\n', '\r\n'))
    put('certdata', 'globalsign-trust-first.txt',
        b + g[g.index('CKA_CLASS CK_OBJECT_CLASS CKO_NSS_TRUST'):] +
        g[:g.index('CKA_CLASS CK_OBJECT_CLASS CKO_NSS_TRUST')])
    put('certdata', 'globalsign-cut.txt', (b + g)[:-200])


if __name__ == '__main__':
    pem_seeds()
    cert_seeds()
    sig_seeds()
    meta_seeds()
    config_seeds()
    copts_seeds()
    route_seeds()
    privmsg_seeds()
    certdata_seeds()
