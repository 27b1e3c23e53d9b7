"""A seeded synthetic marketplace driven through the real recommend -> event -> signals
loop: members with hidden tastes and limited attention, arrivals over time, and a
documented behaviour model (docs/simulation.md). ``simulate(client, world, days, policy,
seed, onboarding)`` returns a :class:`SimulationLog` the evaluation measures."""

from .behaviour import BehaviourConfig, BehaviourModel
from .onboarding import Onboarding
from .policy import KnnPolicy, Policy, RecommenderPolicy, Served, hard_filters
from .run import SimulationLog, SimulationOptions, simulate
from .world import LikeModel, SimMember, World, generate_world

__all__ = [
    "BehaviourConfig",
    "BehaviourModel",
    "KnnPolicy",
    "LikeModel",
    "Onboarding",
    "Policy",
    "RecommenderPolicy",
    "Served",
    "SimMember",
    "SimulationLog",
    "SimulationOptions",
    "World",
    "generate_world",
    "hard_filters",
    "simulate",
]
