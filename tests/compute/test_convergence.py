"""The stopping rule: a batch whose objective is flat stops at its first check, one still rising never stops, a
few stragglers do not hold the batch, and the schedule settles after stopping within the cap."""

import numpy as np
import pytest

from generator.compute.convergence import Convergence, StoppingRule
from generator.compute.filters import CAP, CONVERGED, REDIRECT_SPAN, Recipe, Schedule

RULE = StoppingRule(tolerance=0.02, window=8, min_steps=16, straggling=0.05)


def _run(objective, images: int = 20, steps: int = 400, rule: StoppingRule = RULE) -> int | None:
    """The step at which ``Convergence`` first allows a stop, feeding ``objective(step, image)``; None if never."""
    convergence = Convergence(rule)
    for step in range(1, steps + 1):
        convergence.update(np.array([objective(step, image) for image in range(images)]))
        if convergence.converged():
            return step
    return None


def test_a_flat_objective_stops_at_the_first_check():
    assert _run(lambda step, image: 3.0 + image) == 16


def test_a_noisy_but_flat_objective_stops_soon():
    noise = np.random.default_rng(0).normal(0, 0.05, (400, 20))
    assert _run(lambda step, image: 5.0 + noise[step - 1, image]) <= 32


@pytest.mark.parametrize("rate", [0.005, 0.01])
def test_an_objective_still_rising_never_stops(rate):
    """Growing by 0.5 % or 1 % of itself a step (4 % and 8 % a window): above the 2 % tolerance throughout."""
    assert _run(lambda step, image: (1 + rate) ** step * (1 + image)) is None


def test_a_rising_objective_stops_once_it_flattens():
    """Rising fast for 100 steps, then flat: it stops within two windows of flattening (the smoothing's lag)."""
    stop = _run(lambda step, image: min(step, 100) * (1 + 0.1 * image))
    assert 100 < stop <= 132


def test_a_few_stragglers_do_not_hold_the_batch_and_more_do():
    """One image of 20 still rising (5 %) lets the batch stop; two (10 %) hold it."""
    def with_rising(count: int):
        return lambda step, image: (1.05 ** step) if image < count else 1.0

    assert _run(with_rising(1)) == 16
    assert _run(with_rising(2)) is None


def test_negative_objectives_rise_by_their_own_size():
    """An objective that climbs from -10 towards 0 by 8 % of its size a window is rising; one stuck at -10, or
    creeping up by 0.08 % a window, is not."""
    assert _run(lambda step, image: -10.0 + 0.1 * step, steps=90) is None
    assert _run(lambda step, image: -10.0) == 16
    assert _run(lambda step, image: -10.0 + 0.001 * step) == 16


def _drive(recipe: Recipe, silenceable: bool, objective) -> tuple[Schedule, list]:
    schedule, planned = Schedule(recipe, silenceable), []
    while (step := schedule.next()) is not None:
        planned.append(step)
        schedule.record(np.array([objective(len(planned))] * 4))
    return schedule, planned


def test_the_schedule_stops_a_flat_batch_then_settles_with_the_transforms_fading_out():
    schedule, planned = _drive(Recipe(steps=256, settle_steps=4), False, lambda step: 1.0)
    assert schedule.stopped == CONVERGED and schedule.robust == 16
    assert len(planned) == schedule.taken == 16 + 4
    assert [step.amount for step in planned] == [1.0] * 16 + [0.75, 0.5, 0.25, 0.0]


def test_the_schedule_keeps_a_rising_batch_to_the_cap_settling_steps_included():
    schedule, planned = _drive(Recipe(steps=64, settle_steps=16), False, lambda step: 1.03 ** step)  # 21 % a window
    assert schedule.stopped == CAP and len(planned) == 64 and schedule.robust == 48
    assert planned[47].amount == 1.0 and planned[-1].amount == 0.0


def test_no_stop_while_the_redirected_relu_is_on():
    """An image whose unit has not woken yet is flat: stopping then would leave it grey."""
    recipe = Recipe(steps=256, redirect_fraction=0.25)
    schedule, planned = _drive(recipe, True, lambda step: 1.0)
    redirected = [step for step in planned if step.graph == "redirected"]
    assert len(redirected) == recipe.redirect_steps_for(schedule.cap) == round(0.25 * REDIRECT_SPAN) == 16
    first_check_after = -(-(len(redirected) + 1) // 8) * 8
    assert schedule.stopped == CONVERGED and schedule.robust == first_check_after


def test_without_a_stopping_rule_every_step_is_taken():
    schedule, planned = _drive(Recipe(steps=40, stopping=None, settle_steps=0), False, lambda step: 1.0)
    assert schedule.stopped == CAP and len(planned) == 40 and {step.amount for step in planned} == {1.0}


def test_a_short_run_settles_over_half_its_steps_and_a_long_one_over_the_same_few():
    assert Recipe(steps=24, settle_steps=12).robust_cap() == 12
    assert Recipe(steps=256, settle_steps=12).robust_cap() == 244
    assert Recipe(steps=7, settle_steps=12).robust_cap() == 3  # never more settling steps than steps before them


def test_a_still_silent_unit_keeps_the_redirection_on_past_its_steps():
    schedule, planned = _drive(Recipe(steps=64, redirect_fraction=0.25, stopping=None),
                               True, lambda step: 0.0 if step < 30 else 1.0)
    graphs = [step.graph for step in planned]
    assert graphs[:30] == ["redirected"] * 30 and set(graphs[30:]) == {"plain"}


def test_before_two_checks_every_image_counts_as_rising():
    convergence = Convergence(StoppingRule(window=4))
    assert convergence.rising().shape == (0,) and convergence.rising().dtype == bool
    for _ in range(7):
        convergence.update(np.array([1.0, 2.0, 3.0]))
    rising = convergence.rising()
    assert rising.dtype == bool and rising.tolist() == [True, True, True]


def test_a_gain_of_exactly_the_tolerance_is_not_rising_and_tiny_objectives_are_measured_relative_to_themselves():
    convergence = Convergence(StoppingRule(tolerance=0.5))
    convergence.checkpoints = [np.array([1.0, 1e-6]), np.array([2.0, 3e-6])]
    # 1.0 gained on a scale of 2 is exactly the tolerance: not rising; 2e-6 gained on 3e-6 is two thirds: rising
    assert convergence.rising().tolist() == [False, True]

def test_no_stop_before_two_windows_even_with_no_minimum():
    """Two checks are needed to measure a gain: with min_steps 0 and a window of 8, the first possible stop is 16,
    even with a rule that lets every image still be rising."""
    assert _run(lambda step, image: 1.0, rule=StoppingRule(tolerance=0.02, window=8, min_steps=0, straggling=1.0)) == 16


def test_the_objective_is_smoothed_over_about_one_window_and_the_tolerance_follows_the_cost():
    from generator.compute.convergence import tolerance_for

    convergence = Convergence(StoppingRule(window=8))
    convergence.update(np.array([0.0]))
    convergence.update(np.array([1.0]))
    assert convergence.smoothed.tolist() == pytest.approx([2 / 9])  # an exponential average of weight 2 / (8 + 1)
    assert [tolerance_for(share) for share in (None, 1.0, 0.5, 0.01, 3.0)] == [0.15, 0.15, 0.075, 0.005, 0.15]
