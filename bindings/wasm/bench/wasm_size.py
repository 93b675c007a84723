#!/usr/bin/env python3
"""What a WebAssembly module's bytes are (issue 16, "Size"): its sections, the code and
data totals, the code grouped by crate and the largest functions, by their names in the
module's `name` section. Run it on cargo's output, before wasm-bindgen and wasm-opt drop
the names (bindings/wasm/build keeps it under $CARGO_TARGET_DIR/wasm32):

    python3 bindings/wasm/bench/wasm_size.py \
        "$CARGO_TARGET_DIR/wasm32/wasm32-unknown-unknown/wasm/hcas_wasm.wasm" [TOP]

Names are Rust's v0 mangling; a function counts for the first crate its name names
(for a generic instance, the crate of the generic code). docs/wasm.md has the findings."""
import collections
import re
import sys

def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i

b = open(sys.argv[1], 'rb').read()
top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
i = 8; secs = []; nimports = 0; bodies = []; names = {}; data = []
while i < len(b):
    sid = b[i]; i += 1
    size, i = leb(b, i); start = i; end = i + size
    name = None
    if sid == 0:
        n, j = leb(b, i); name = b[j:j+n].decode(); j += n
        if name == 'name':
            while j < end:
                sub = b[j]; j += 1; sz, j = leb(b, j); se = j + sz
                if sub == 1:
                    cnt, k = leb(b, j)
                    for _ in range(cnt):
                        idx, k = leb(b, k); ln, k = leb(b, k); names[idx] = b[k:k+ln].decode('utf8', 'replace'); k += ln
                j = se
    elif sid == 2:
        cnt, j = leb(b, i)
        for _ in range(cnt):
            ln, j = leb(b, j); j += ln; ln, j = leb(b, j); j += ln
            kind = b[j]; j += 1
            if kind == 0: _, j = leb(b, j); nimports += 1
            elif kind == 1: j += 1; fl, j = leb(b, j); _, j = leb(b, j); j = leb(b, j)[1] if fl & 1 else j
            elif kind == 2: fl, j = leb(b, j); _, j = leb(b, j); j = leb(b, j)[1] if fl & 1 else j
            elif kind == 3: j += 2
    elif sid == 10:
        cnt, j = leb(b, i)
        for f in range(cnt):
            sz, j = leb(b, j); bodies.append((nimports + f, sz)); j += sz
    elif sid == 11:
        cnt, j = leb(b, i)
        for d in range(cnt):
            fl, j = leb(b, j)
            if fl == 2: _, j = leb(b, j)
            if fl in (0, 2):
                while b[j] != 0x0b: j += 1
                j += 1
            sz, j = leb(b, j); data.append(sz); j += sz
    secs.append((sid, name, size)); i = end
print(f'total {len(b)} bytes')
for sid, name, size in secs: print(f'  section {sid:2} {name or "":20} {size:9}')
print(f'functions {len(bodies)}, code {sum(s for _, s in bodies)}; data segments {len(data)}, {sum(data)} bytes')
dem = [names.get(f, f'f{f}') for f, _ in bodies]
groups = collections.Counter()
rows = []
for (f, sz), d in zip(bodies, dem):
    m = re.search(r'Cs[0-9A-Za-z]*_(\d+)', d)
    if m:
        n = int(m.group(1)); k = d[m.end():m.end()+n]
    else:
        m = re.match(r'[<(&\s]*([A-Za-z_][A-Za-z0-9_]*)', d); k = m.group(1) if m else '?'
    groups[k] += sz
    rows.append((sz, d))
print('-- code by crate (first path segment)')
for k, v in groups.most_common(25): print(f'  {v:8} {k}')
print(f'-- top {top} functions')
for sz, d in sorted(rows, reverse=True)[:top]: print(f'  {sz:7} {d[:150]}')
