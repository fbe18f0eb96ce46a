"""Ejection chains: place an unplaced item by displacing a few placed ones and re-placing
them, like an augmenting path in matching (used by the heuristic's annealing)."""

from __future__ import annotations

import random

from planner.optimize.state import State


def augment(
    state: State, u: int, rng: random.Random, *, depth: int = 3, nodes: int = 40, sample: int = 48
) -> bool:
    """Place unplaced item ``u`` by an ejection chain: displace a few items, re-place them.

    A depth-limited search like an augmenting path in matching: try ``u``'s candidates
    needing the fewest ejections (at most two, none already moved in this chain), eject,
    place ``u``, and re-place each ejected item directly or recursively. At most ``nodes``
    ejections are tried in all; of an item with more than ``sample`` candidates, half of
    them are looked at (the best and a random half). On failure the state may be partly
    changed: the caller undoes to its mark.
    """
    return _EjectionChain(state, rng, nodes, sample).place(u, depth, {u})


class _EjectionChain:
    def __init__(self, state: State, rng: random.Random, nodes: int, sample: int) -> None:
        self.state = state
        self.rng = rng
        self.budget = nodes  # ejections still allowed
        self.sample = sample

    def place(self, u: int, depth: int, tabu: set[int]) -> bool:
        """Place ``u``, ejecting none of ``tabu`` and chaining at most ``depth`` deep."""
        if self.state.insert_best(u):
            return True
        if depth <= 0 or self.budget <= 0:
            return False
        seen: set[frozenset[int]] = set()
        for t, k, victims in self._ejections(u, tabu)[:4]:
            key = frozenset(victims)
            if key in seen:
                continue
            seen.add(key)
            self.budget -= 1
            if self.budget < 0:
                return False
            mark = self.state.mark()
            if self._displace(u, t, k, victims, depth, tabu):
                return True
            self.state.undo(mark)
        return False

    def _ejections(self, u: int, tabu: set[int]) -> list[tuple[int, int, set[int]]]:
        """``u``'s candidates ``(start, therapist, victims)`` needing one or two ejections,
        none in ``tabu``: fewest victims first, then nearest the target."""
        item = self.state.p.items[u]
        cands = item.cands
        if len(cands) > self.sample:
            pool = cands[: self.sample // 2] + self.rng.sample(cands, self.sample // 2)
        else:
            pool = list(cands)
        options: list[tuple[int, int, int, int, set[int]]] = []
        for t, k in pool:
            found = self.state.blockers(u, t, k, self.rng.randrange(1 << 16))
            if found is None or not found or len(found) > 2 or found & tabu:
                continue
            options.append((len(found), item.dev2(t), t, k, found))
        options.sort(key=lambda o: (o[0], o[1], o[2], o[3]))
        return [(t, k, victims) for _, _, t, k, victims in options]

    def _displace(
        self, u: int, t: int, k: int, victims: set[int], depth: int, tabu: set[int]
    ) -> bool:
        """Eject ``victims``, place ``u`` at ``(t, k)``, re-place each victim."""
        state = self.state
        for j in victims:
            state.remove(j)
        room = state.feasible(u, t, k)
        if room is None:
            return False
        state.place(u, (t, k, room))
        inner = tabu | victims
        return all(
            self.place(j, depth - 1, inner)
            for j in sorted(victims, key=lambda j: len(state.p.items[j].cands))
        )
