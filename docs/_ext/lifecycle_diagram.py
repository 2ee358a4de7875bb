"""Sphinx directives that draw the entry lifecycle from the core's transition table.

``.. lifecycle-table::`` renders :data:`pepperpy.caching.core.lifecycle.TRANSITIONS` as a
table (one row per event, one column per state) with the meaning of every state and
event; ``.. lifecycle-diagram::`` draws the state changes as an SVG figure (HTML) and as a
text diagram (every builder). Both are computed at build time, so the documentation
always shows what the code's table says, and the test suite checks the engine against
that same table.
"""

from __future__ import annotations

import math
from collections import defaultdict
from html import escape
from typing import Any, ClassVar

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from pepperpy.caching.core.lifecycle import (
    EVENT_MEANINGS,
    STATE_MEANINGS,
    TRANSITIONS,
    Effect,
    Event,
    State,
)

__all__ = ("edges", "render_svg", "render_text", "setup", "table_rst")

BOX_W, BOX_H = 120, 40
LINE_H = 16


def edges() -> dict[tuple[State, State], list[Event]]:
    """The events that move a key from one state to another, self-loops left out."""
    found: dict[tuple[State, State], list[Event]] = defaultdict(list)
    for (state, event), (_, following) in TRANSITIONS.items():
        if following is not state:
            found[state, following].append(event)
    return dict(found)


def _cell(state: State, event: Event) -> str:
    effect, following = TRANSITIONS[state, event]
    target = "=" if following is state else f"**{following.name}**"
    return target if effect is Effect.NONE else f"{target}, ``{effect.value}``"


def table_rst() -> list[str]:
    """The table and the meanings of its states and events, as reStructuredText lines."""
    lines = [".. list-table::", "   :header-rows: 1", "   :stub-columns: 1", ""]
    lines.append("   * - event")
    lines.extend(f"     - from {state.name}" for state in State)
    for event in Event:
        lines.append(f"   * - ``{event.value}``")
        lines.extend(f"     - {_cell(state, event)}" for state in State)
    lines += ["", "``=`` means the state does not change. The states:", ""]
    for state in State:
        lines += [f"{state.name}", f"   {STATE_MEANINGS[state]}"]
    lines += ["", "The events:", ""]
    for event in Event:
        lines += [f"``{event.value}``", f"   {EVENT_MEANINGS[event]}"]
    return lines


def render_text() -> str:
    """Every state change, one event a line: ``FROM --event: effect--> TO``, aligned."""
    order = list(State)
    rows: list[tuple[str, str, str]] = []
    previous: State | None = None
    for (src, dst), events in sorted(
        edges().items(), key=lambda item: (order.index(item[0][0]), order.index(item[0][1]))
    ):
        for event in events:
            effect, _ = TRANSITIONS[src, event]
            label = event.value if effect is Effect.NONE else f"{event.value}: {effect.value}"
            rows.append((src.name if src is not previous else "", label, dst.name))
            previous = src
    left = max(len(state.name) for state in State)
    middle = max(len(label) for _, label, _ in rows)
    return "\n".join(
        f"{src.ljust(left)} --{label.ljust(middle, '-')}--> {dst}" for src, label, dst in rows
    )


# Where each state sits: a triangle with EXPIRING in the middle draws every arrow
# without a crossing. The arrows and their labels all come from the table.
LAYOUT: dict[State, tuple[float, float]] = {
    State.ABSENT: (400, 45),
    State.EXPIRING: (400, 265),
    State.LIVE: (120, 420),
    State.EXPIRED: (680, 420),
}
WIDTH, HEIGHT = 800, 500


def _border(center: tuple[float, float], towards: tuple[float, float]) -> tuple[float, float]:
    """Where the segment from a box's center towards a point leaves the box."""
    dx, dy = towards[0] - center[0], towards[1] - center[1]
    scale = min(
        (BOX_W / 2) / abs(dx) if dx else math.inf,
        (BOX_H / 2) / abs(dy) if dy else math.inf,
    )
    return center[0] + dx * scale, center[1] + dy * scale


def render_svg() -> str:
    """The state changes as an SVG figure: one box per state, one arrow per change."""
    missing = set(State) - set(LAYOUT)
    if missing:
        raise ValueError(f"LAYOUT in {__name__} has no place for {sorted(s.name for s in missing)}")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" style="max-width: {WIDTH}px" role="img" '
        'aria-label="State diagram of a cache entry" font-family="sans-serif" font-size="13">',
        '<defs><marker id="lifecycle-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    ]
    middle_x = sum(x for x, _ in LAYOUT.values()) / len(LAYOUT)
    middle_y = sum(y for _, y in LAYOUT.values()) / len(LAYOUT)
    all_edges = edges()
    for (src, dst), events in all_edges.items():
        (x1, y1), (x2, y2) = LAYOUT[src], LAYOUT[dst]
        # The normal pointing away from the middle of the figure, where there is room;
        # computed from the pair in name order, so that both directions agree on it.
        (px, py), (qx, qy) = (LAYOUT[s] for s in sorted((src, dst), key=lambda s: s.name))
        length = math.hypot(qx - px, qy - py)
        nx, ny = -(qy - py) / length, (qx - px) / length
        if nx * ((x1 + x2) / 2 - middle_x) + ny * ((y1 + y2) / 2 - middle_y) < 0:
            nx, ny = -nx, -ny
        shift = 0.0
        back = all_edges.get((dst, src))
        if back is not None:
            # Two arrows side by side: the one with the longer label takes the outer side.
            mine, theirs = _size(events), _size(back)
            outer = mine > theirs or (mine == theirs and src.name < dst.name)
            shift = 7.0 if outer else -7.0
            if not outer:
                nx, ny = -nx, -ny
        a = (x1 + nx * abs(shift), y1 + ny * abs(shift))
        b = (x2 + nx * abs(shift), y2 + ny * abs(shift))
        start, end = _border(a, b), _border(b, a)
        out.append(
            f'<line x1="{start[0]:.1f}" y1="{start[1]:.1f}" x2="{end[0]:.1f}" '
            f'y2="{end[1]:.1f}" stroke="#444" stroke-width="1.4" '
            'marker-end="url(#lifecycle-arrow)"/>'
        )
        out.append(_svg_label(start, end, (nx, ny), [event.value for event in events]))
    for state, (x, y) in LAYOUT.items():
        out.append(
            f'<rect x="{x - BOX_W / 2:.1f}" y="{y - BOX_H / 2:.1f}" width="{BOX_W}" '
            f'height="{BOX_H}" rx="8" fill="#eef3f8" stroke="#345"/>'
            f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" font-weight="bold">'
            f"{state.name}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _size(events: list[Event]) -> tuple[int, int]:
    return len(events), max(len(event.value) for event in events)


def _svg_label(
    start: tuple[float, float],
    end: tuple[float, float],
    normal: tuple[float, float],
    lines: list[str],
) -> str:
    """The events of one arrow, one a line, beside its middle on the ``normal`` side."""
    nx, ny = normal
    x = (start[0] + end[0]) / 2 + nx * 10
    y = (start[1] + end[1]) / 2 + ny * 10
    anchor = "middle" if abs(nx) < 0.35 else ("start" if nx > 0 else "end")
    height = LINE_H * len(lines)
    # The block of lines grows away from the arrow.
    if ny < -0.35:
        top = y - height + LINE_H - 4
    elif ny > 0.35:
        top = y + LINE_H - 4
    else:
        top = y - height / 2 + LINE_H - 4
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{top + i * LINE_H:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text text-anchor="{anchor}" fill="#123">{spans}</text>'


class LifecycleTable(SphinxDirective):
    """``.. lifecycle-table::``: the transition table with its legend."""

    has_content: ClassVar[bool] = False

    def run(self) -> list[nodes.Node]:
        container = nodes.container(classes=["lifecycle-table"])
        self.state.nested_parse(StringList(table_rst(), source="<lifecycle>"), 0, container)
        return [container]


class LifecycleDiagram(SphinxDirective):
    """``.. lifecycle-diagram::``: the state changes, as SVG (HTML) and as text."""

    has_content: ClassVar[bool] = False

    def run(self) -> list[nodes.Node]:
        figure = nodes.raw("", render_svg(), format="html")
        text = nodes.literal_block(render_text(), render_text())
        return [figure, text]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives."""
    app.add_directive("lifecycle-table", LifecycleTable)
    app.add_directive("lifecycle-diagram", LifecycleDiagram)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
