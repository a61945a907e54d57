"""The bulk of a /api/v1/graph body, its nodes, edges and trace, written part by part, and kept
per structure as a template into which a request at a new point sets its numbers.

Written part by part: each part (the nodes, the edges, `engine.views.PART` events) is made into
dicts, written (orjson, or json when orjson would spell a number otherwise) and dropped before
the next is made, so a big graph's body never holds every event's dict at once (issue 14: a
freed peak of small objects stays in the process).

A template: everything of that text but the numbers (ids, labels, names, inputs, which events
the passes took) depends on the request's structure alone (its text, the gradients and tangent
asked, the expanded nodes), not on its values. The text is written once with a marker in
place of each number (`marked`: a str "\\0<k>", which views pass as they pass a float and orjson
writes as "\\u0000<k>", a text no expression can hold: the lexer refuses U+0000), then cut at
the markers into one %-format. A request at a new point writes its numbers in one call and
sets them in (`Template.fill`): the same bytes, without a dict, and without parsing the text or
looking up the layout again (both kept with the template). A template is made the second time
a structure is seen (typing makes a new text at each keystroke; a slider sends the same one),
and checked then against the body written the plain way; it is kept only when they are equal.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter

import orjson

from engine import Evaluation, Graph, views
from engine.results import ACCUMULATE, LOCAL, SEED, TANGENT, VISIT, Forward, Reverse, Tangents

from .encoding import RawJSON

#: A number's marker as orjson writes it (the group: the number's place in `numbers`).
MARK = re.compile(rb'"\\u0000(\d+)"')
#: Bytes of templates kept in a process (the least recently used dropped first; one template
#: at most a third: a 1,000-node graph's is about 1.7 MB), and how many structures seen once
#: are remembered.
MAX_BYTES = 6 << 20
MAX_SEEN = 512


def numbers(ev: Evaluation) -> list:
    """Every number of the body, in the order of the markers: values, gradients, each edge's
    local and contribution, the reverse pass's running sums (before, after), and with a tangent
    the tangents, each edge's local and term, and the direction."""
    fwd, rev, tan = ev.forward, ev.reverse, ev.tangent
    out = (fwd.values + rev.grads + rev.edge_local + rev.edge_contribution  # type: ignore[operator]
           + [x for e in rev.events or () if e[0] is ACCUMULATE for x in e[3:]])
    if tan is not None:
        out += tan.tangents + tan.edge_local + tan.edge_term + list(tan.direction.values())  # type: ignore[operator]
    return out


def shape(ev: Evaluation) -> tuple:
    """What a template's structure must match: the lengths of the number lists, where an edge
    has no number (None), and how many steps each pass recorded."""
    rev, tan = ev.reverse, ev.tangent
    lists = [rev.edge_local, rev.edge_contribution]
    lists += [tan.edge_local, tan.edge_term] if tan is not None else []
    return (len(ev.forward.values), *((len(xs), xs.count(None)) for xs in lists),  # type: ignore[union-attr]
            len(rev.events or ()), len(tan.events or ()) if tan is not None else -1)


def dicts(ev: Evaluation, labels: list[str], marks: dict[int, tuple[int, str, bool]]) -> dict:
    """The body's nodes, edges and trace as dicts, all at once (a small body)."""
    nodes = views.nodes(ev, labels)
    for i, (of, op, is_expanded) in marks.items():
        nodes[i]["composite"] = {"of": f"n{of}", "op": op, "expanded": is_expanded}
    return {"nodes": nodes, "edges": views.edges(ev), "trace": ev.trace()}


def middle(ev: Evaluation, labels: list[str], marks: dict[int, tuple[int, str, bool]],
           write: Callable[[object], bytes | None] = orjson.dumps) -> Iterator[bytes | memoryview | None]:
    """The text `"nodes":[...],"edges":[...],"trace":{...}` as `write` writes those keys of the
    body, in parts (None where `write` could not). `marks`: composite nodes
    (app.graphs.composite_marks)."""
    nodes = views.nodes(ev, labels)
    for i, (of, op, is_expanded) in marks.items():
        nodes[i]["composite"] = {"of": f"n{of}", "op": op, "expanded": is_expanded}
    yield b'"nodes":'
    yield write(nodes)
    del nodes
    yield b',"edges":'
    yield write(views.edges(ev))
    yield b',"trace":{"forward":'
    yield from _array(views.forward_parts(ev.forward, ev.shown), write)
    yield b',"backward":'
    yield from _array(views.reverse_parts(ev.reverse, ev.shown), write)
    if ev.tangent is not None:
        yield b',"tangent":'
        yield from _array(views.tangent_parts(ev.tangent, ev.shown), write)
    yield b"}"


def _array(parts: Iterable[list], write: Callable[[object], bytes | None]
           ) -> Iterator[bytes | memoryview | None]:
    yield b"["
    first = True
    for part in parts:
        if part:
            if not first:
                yield b","
            text = write(part)
            yield None if text is None else memoryview(text)[1:-1]
            first = False
    yield b"]"


@dataclass(frozen=True)
class Template:
    """A body cut at its numbers: `text`, with %b where the body's head, each number and its
    tail go (a % written %%); `pick` takes the numbers from the split text of `numbers` in the
    order they are written."""

    text: bytes
    pick: itemgetter | None
    count: int
    shape: tuple
    size: int
    graph: Graph | None = None  # the text as parsed (None: not from the text alone)
    warnings: tuple[str, ...] = ()  # the parser's
    layout: RawJSON | None = None  # its JSON, when laid out
    labels: list[str] | None = None  # a compact answer's entry (`parsed`): each node's label
    names: list[str] | None = None  # and display name

    def fill(self, numbers: bytes, head: bytes, tail: bytes) -> bytes:
        """The body: `head` and `tail` (orjson's text of those keys of the body, each a dict)
        around the middle with the numbers of `numbers` (the text of `numbers(ev)`) set in.
        One %-format in C: no list of the pieces to join (bytes.join holds a buffer record of
        80 bytes for each)."""
        if not self.count:
            return self.text % (head[:-1], tail[1:])
        pieces = numbers.split(b",")
        pieces[0], pieces[-1] = pieces[0][1:], pieces[-1][:-1]  # the list's brackets
        picked = self.pick(pieces)  # type: ignore[misc]
        return self.text % (head[:-1], *((picked,) if self.count == 1 else picked), tail[1:])


def template(ev: Evaluation, labels: list[str], marks: dict[int, tuple[int, str, bool]],
             graph: Graph | None = None, warnings: Iterable[str] = (), layout: object = None) -> Template:
    """`ev`'s middle with a marker for each number, cut at the markers; with what else the
    structure's requests share (a layout that was skipped is not kept)."""
    pieces = MARK.split(b"".join(middle(marked(ev), labels, marks)))  # type: ignore[arg-type]
    parts, order = pieces[0::2], [int(k) for k in pieces[1::2]]
    del pieces
    text = b"%b," + b"%b".join([p.replace(b"%", b"%%") for p in parts]) + b",%b"
    layout = layout if isinstance(layout, RawJSON) else None
    size = (len(text) + 36 * len(order) + (len(layout.text) if layout else 0)
            + (300 * len(graph) if graph is not None else 0))  # about a parsed graph's bytes a node
    return Template(text, itemgetter(*order) if order else None, len(order), shape(ev), size, graph,
                    tuple(warnings), layout)


def parsed(graph: Graph | None, warnings: Iterable[str], layout: object, labels: list[str],
           names: list[str]) -> Template:
    """A compact answer's entry: no text (app.compact writes each answer from the passes' lists),
    only what parsing and drawing the structure gave: the graph as parsed (None: not from the
    text alone), the parser's warnings, the layout's JSON, each node's label and display name."""
    layout = layout if isinstance(layout, RawJSON) else None
    size = ((len(layout.text) if layout else 0) + 300 * len(labels) * (graph is not None)
            + sum(map(len, labels)) + sum(map(len, names)) + 120 * len(labels))
    return Template(b"", None, 0, (), size, graph, tuple(warnings), layout, labels, names)


def _marks(xs: list | None, mark: list[str], base: int) -> list[str | None]:
    """Edge e's marker `mark[base + e]`, None where the edge has no number."""
    return [None if x is None else mark[base + e] for e, x in enumerate(xs or ())]


def marked(ev: Evaluation) -> Evaluation:
    """`ev` with each number replaced by its marker: "\\0<k>", k its place in `numbers(ev)`."""
    fwd, rev, tan = ev.forward, ev.reverse, ev.tangent
    n, m = len(fwd.values), len(rev.edge_local)  # type: ignore[arg-type]
    accumulated = sum(e[0] is ACCUMULATE for e in rev.events or ())
    mark = [f"\0{k}" for k in range(2 * n + 2 * m + 2 * accumulated + (n + 2 * m if tan else 0))]
    values, grads = mark[:n], mark[n:2 * n]
    local = _marks(rev.edge_local, mark, 2 * n)
    sent = _marks(rev.edge_contribution, mark, 2 * n + m)
    running = iter(mark[2 * n + 2 * m:])
    back = []
    for e in rev.events or ():
        tag = e[0]
        if tag is SEED or tag is VISIT:
            back.append((tag, e[1], grads[e[1]]))
        elif tag is LOCAL:
            back.append((*e[:5], local[e[1]]))
        elif tag is ACCUMULATE:
            back.append((*e[:3], next(running), next(running)))
        else:  # CONTRIBUTE (a tensor's REDUCE never comes here: its numbers are arrays)
            back.append((*e[:4], sent[e[1]]))
    tangent = None
    if tan is not None:
        base = 2 * n + 2 * m + 2 * accumulated
        tans = mark[base:base + n]
        t_local = _marks(tan.edge_local, mark, base + n)
        terms = _marks(tan.edge_term, mark, base + n + m)
        steps = []
        for e in tan.events or ():
            tag = e[0]
            if tag is SEED or tag is TANGENT:
                steps.append((tag, e[1], tans[e[1]]))
            elif tag is LOCAL:
                steps.append((*e[:5], t_local[e[1]]))
            else:  # TERM
                steps.append((*e[:4], terms[e[1]]))
        tangent = Tangents(tan.direction, tans, tan.depends, t_local, terms, steps)
    out = Evaluation(ev.graph, Forward(values, [(e[0], e[1], values[e[1]]) for e in fwd.events or ()]),
                     Reverse(grads, local, sent, back), tangent, ev.warnings, ev.requires_grad,
                     ev.shown, ev.target)
    out.__dict__["names"] = ev.names  # a cached_property: the display names, made once
    return out


def respelt(ev: Evaluation, otherwise: list[float]) -> Evaluation:
    """`ev` with each number of `otherwise` (those orjson spells otherwise than json) replaced by
    json's text of it, which orjson writes as it is: a body seen first with such numbers is
    written by orjson (json takes three times as long), with json's bytes."""
    spell = {x: orjson.Fragment(repr(x).encode()) for x in otherwise}
    get = spell.get

    def numbers(xs: list | None) -> list | None:
        return None if xs is None else list(map(get, xs, xs))

    def steps(events: list[tuple] | None) -> list[tuple] | None:  # a step's numbers: its last one or two
        return None if events is None else [tuple(map(get, e, e)) if e[-1] in spell or e[-2] in spell
                                            else e for e in events]

    fwd, rev, tan = ev.forward, ev.reverse, ev.tangent
    tangent = None if tan is None else Tangents(  # type: ignore[arg-type]
        tan.direction, numbers(tan.tangents), tan.depends, numbers(tan.edge_local),  # type: ignore[arg-type]
        numbers(tan.edge_term), steps(tan.events))
    out = Evaluation(ev.graph, Forward(numbers(fwd.values), steps(fwd.events)),  # type: ignore[arg-type]
                     Reverse(numbers(rev.grads), numbers(rev.edge_local),  # type: ignore[arg-type]
                             numbers(rev.edge_contribution), steps(rev.events)),
                     tangent, ev.warnings, ev.requires_grad, ev.shown, ev.target)
    out.__dict__["names"] = ev.names  # a cached_property: the display names, made once
    return out


views.AS_IS.add(orjson.Fragment)  # respelt's numbers, given to orjson as they are


class Templates:
    """Templates by structure key, at most `max_bytes` of them (least recently used dropped
    first); a key gets one when seen a second time. Safe to share between threads."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_seen: int = MAX_SEEN) -> None:
        self.max_bytes, self.max_seen = max_bytes, max_seen
        self._items: OrderedDict[Hashable, Template] = OrderedDict()
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Template | None:
        with self._lock:
            got = self._items.get(key)
            if got is not None:
                self._items.move_to_end(key)
            return got

    def seen_before(self, key: Hashable) -> bool:
        """Whether `key` was seen before (and remember it now): by its hash, so that a long text
        seen once holds no memory (two keys of one hash make a template early, then checked)."""
        key = hash(key)
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return True
            self._seen[key] = None
            if len(self._seen) > self.max_seen:
                self._seen.popitem(last=False)
            return False

    def put(self, key: Hashable, t: Template) -> None:
        if t.size > self.max_bytes // 3:  # one structure never takes most of the room
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes += t.size - (old.size if old else 0)
            self._items[key] = t
            while self._bytes > self.max_bytes:
                self._bytes -= self._items.popitem(last=False)[1].size

    def drop(self, key: Hashable) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes -= old.size if old else 0

    def __len__(self) -> int:
        return len(self._items)


TEMPLATES = Templates()
