"""Why an item stayed unplaced: the §4 code of the rule that blocked it.

Items with no static candidate carry the code found while building the model (``no_slot``,
``in_the_past``, ``discipline_mismatch``, ``therapist_unavailable``, ``therapist_busy``,
``patient_busy``, ``room_unavailable``, ``daily_limit``). For the others every candidate
``(start, therapist)`` is checked against the final plan in the §4 order (therapist busy,
patient busy, room, daily limit); the answer is the rule that blocked the candidate that got
furthest down that list, i.e. the nearest miss.
"""

from __future__ import annotations

from planner.optimize.state import State

_ORDER = ("therapist_busy", "patient_busy", "room_unavailable", "daily_limit")


def diagnose(state: State, i: int) -> str:
    p = state.p
    item = p.items[i]
    if item.static_code is not None:
        return item.static_code
    reached = 0
    for t, k in item.cands:
        th = p.therapists[k]
        end = t + item.duration
        buf = th.buffer
        if any(t < b + buf and a < end + buf for a, b, _ in state.ther[k]):
            continue
        reached = max(reached, 1)
        if any(t < b and a < end for a, b, _ in state.pat[item.patient]):
            continue
        reached = max(reached, 2)
        if item.room_kind is not None and state.room_for(item, t, end) is None:
            continue
        reached = 3
        break
    return _ORDER[reached]
