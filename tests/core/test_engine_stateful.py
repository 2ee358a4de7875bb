"""The engine against the reference model, one state machine per built-in policy."""

from __future__ import annotations

from hypothesis import settings

from pepperpy.caching.core import POLICY_NAMES
from pepperpy.caching.testing import (
    AnyKeyModel,
    CacheEngineMachine,
    FIFOModel,
    LFUModel,
    LRUModel,
    S3FIFOModel,
    SIEVEModel,
    TinyLFUModel,
)

# Each step of these machines is a run of up to 20 calls, so ten steps reach deep
# states; the profile (tests/conftest.py) sets how many examples.
_STEPS = settings(stateful_step_count=10)


class LRUMachine(CacheEngineMachine):
    """Least recently used: the model predicts every eviction."""

    policy = "lru"
    policy_model = LRUModel


class LFUMachine(CacheEngineMachine):
    """Least frequently used, ties to the key that reached its count first."""

    policy = "lfu"
    policy_model = LFUModel


class FIFOMachine(CacheEngineMachine):
    """First in, first out: reads and overwrites never change the order."""

    policy = "fifo"
    policy_model = FIFOModel


class RandomMachine(CacheEngineMachine):
    """Random eviction: any stored key may go; the model follows the engine's choice."""

    policy = "random"
    policy_model = AnyKeyModel


class SIEVEMachine(CacheEngineMachine):
    """SIEVE: the model predicts every eviction (hand, marks, wrap-around)."""

    policy = "sieve"
    policy_model = SIEVEModel


class S3FIFOMachine(CacheEngineMachine):
    """S3-FIFO: small, main and ghost queues, predicted exactly."""

    policy = "s3fifo"
    policy_model = S3FIFOModel


class TinyLFUMachine(CacheEngineMachine):
    """W-TinyLFU: segments and admission predicted exactly, rejections included."""

    policy = "tinylfu"
    policy_model = TinyLFUModel


TestLRU = LRUMachine.TestCase
TestLFU = LFUMachine.TestCase
TestFIFO = FIFOMachine.TestCase
TestRandom = RandomMachine.TestCase
TestSIEVE = SIEVEMachine.TestCase
TestS3FIFO = S3FIFOMachine.TestCase
TestTinyLFU = TinyLFUMachine.TestCase
for _case in (TestLRU, TestLFU, TestFIFO, TestRandom, TestSIEVE, TestS3FIFO, TestTinyLFU):
    _case.settings = _STEPS


def test_every_built_in_policy_has_a_machine() -> None:
    machines = {
        LRUMachine,
        LFUMachine,
        FIFOMachine,
        RandomMachine,
        SIEVEMachine,
        S3FIFOMachine,
        TinyLFUMachine,
    }
    assert {machine.policy for machine in machines} == set(POLICY_NAMES)
