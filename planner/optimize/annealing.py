"""One simulated-annealing run of the heuristic (``heuristic.improve``) and its moves.

A move changes the partial plan (``State``) and is then kept or undone by one rule
(``Annealing._settle``): a plan with a better score ``W * placed - deviation`` is kept, a
worse one with probability ``exp(delta / T)``, the temperature ``T`` cooling with the share
of the work budget spent. The moves: an ejection chain for an unplaced item (``chain``), a
forced insertion with ejection and repair (``force``), and a swap of a placed session for
unplaced ones near its time (``swap``). The best plan seen is remembered.
"""

from __future__ import annotations

import math
import random

from planner.optimize.ejection import augment
from planner.optimize.state import Assignment, State

SWAP_TRIES = 6  # the unplaced items a swap tries to place in the gap it makes


class Annealing:
    """One annealing run over ``state``: its temperature, and the best plan seen."""

    def __init__(
        self, state: State, deadline: float, weight: int, t_hot: float, t_cold: float
    ) -> None:
        self.state = state
        self.deadline = deadline
        self.weight = weight
        self.t_hot = t_hot
        self.t_cold = t_cold
        self.best_key = state.key()
        self.best = placed_now(state)
        self.work = state.p.work
        self.began = self.work.now()
        self.span = max(1e-3, deadline - self.began)
        self.temp = t_hot * weight
        self.moves = 0
        self.frac = 0.0  # share of the time spent
        self.gained = 0.0  # the share spent when the best count last grew

    def tick(self) -> bool:
        """Count a move; every 16th, cool down, or answer False once past the deadline."""
        self.moves += 1
        if self.moves % 16 != 0:
            return True
        now = self.work.now()
        if now >= self.deadline:
            return False
        frac = self.frac = (now - self.began) / self.span
        self.temp = self.weight * self.t_hot * (self.t_cold / self.t_hot) ** frac
        return True

    def chain(self, i: int, rng: random.Random, depth: int, nodes: int) -> None:
        """Place unplaced item ``i`` by an ejection chain, or change nothing."""
        state = self.state
        mark = state.mark()
        if augment(state, i, rng, depth=depth, nodes=nodes):
            state.forget()
            self._remember(state.key())
        else:
            state.undo(mark)

    def force(
        self, i: int, target: tuple[int, int], rng: random.Random, live: list[int], pack: float
    ) -> bool:
        """Force ``i`` into ``target``, re-insert what it ejects, try two random items; keep
        the move by the annealing rule. Answers whether it was kept."""
        state = self.state
        state.pack_early = rng.random() < pack
        before = state.key()
        mark = state.mark()
        if not force_into(state, i, *target, rng):
            state.undo(mark)
            return False
        for _ in range(2):
            j = live[rng.randrange(len(live))]
            if state.assign[j] is None:
                state.insert_best(j)
        kept = self._settle(before, mark, rng)
        state.pack_early = False
        return kept

    def swap(self, i: int, rng: random.Random, live: list[int]) -> bool:
        """Take placed ``i`` out, place a few unplaced items near its time in the gap, put
        ``i`` back at its best spot if it still fits; keep by the annealing rule."""
        state = self.state
        items = state.p.items
        a = state.assign[i]
        assert a is not None
        before = state.key()
        mark = state.mark()
        state.remove(i)
        t0, t1 = a[0], a[0] + items[i].duration
        state.p.work.units += 1 + len(live) // 8
        near = [
            j
            for j in live
            if state.assign[j] is None
            and j != i
            and items[j].window[0] < t1
            and t0 < items[j].window[1]
        ]
        rng.shuffle(near)
        for j in near[:SWAP_TRIES]:
            state.insert_best(j)
        state.insert_best(i)
        return self._settle(before, mark, rng)

    def _settle(self, before: tuple[int, int], mark: int, rng: random.Random) -> bool:
        """The annealing rule on the move made since ``mark``: a worse plan is kept with
        probability ``exp(delta / T)``, else undone. Answers whether it was kept."""
        state = self.state
        after = state.key()
        delta = self.weight * (after[0] - before[0]) + (after[1] - before[1])
        if delta < 0 and rng.random() >= math.exp(delta / self.temp):
            state.undo(mark)
            return False
        state.forget()
        self._remember(after)
        return True

    def all_at_target(self, live: int) -> bool:
        """The best plan places all ``live`` items, each at its target."""
        return self.best_key[1] == 0 and self.best_key[0] == live

    def _remember(self, key: tuple[int, int]) -> None:
        if key[0] > self.best_key[0]:
            self.gained = self.frac
        if key > self.best_key:
            self.best_key = key
            self.best = placed_now(self.state)


def placed_now(state: State) -> dict[int, Assignment]:
    """The plan as it stands: each placed item's assignment."""
    return {i: a for i, a in enumerate(state.assign) if a is not None}


def force_into(state: State, i: int, t: int, k: int, rng: random.Random) -> bool:
    """Put ``i`` at start ``t`` with therapist ``k``, ejecting what is in the way, then
    re-insert the ejected items, the most constrained (roughly) first. Answers False, with
    the state to be undone by the caller, where ``i`` cannot go there at all."""
    found = state.blockers(i, t, k, rng.randrange(1 << 16))
    if found is None:
        return False
    victims = found
    if state.assign[i] is not None:
        state.remove(i)
    for j in victims:
        state.remove(j)
    room = state.feasible(i, t, k)
    if room is None:
        return False
    state.place(i, (t, k, room))
    items = state.p.items
    order = sorted(victims, key=lambda j: (len(items[j].cands) * (0.7 + 0.6 * rng.random()), j))
    for j in order:
        state.insert_best(j)
    return True
