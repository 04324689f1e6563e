"""Settings turned into the objects of the pipeline: the one place that reads a corpus' data files.

The library's stages take objects (a profile, a vocabulary, a gazetteer…), never ``Settings``; the
CLI, the service and the web app call these functions to make them.
"""

from __future__ import annotations

from assistant.config import Settings
from assistant.profile import Profile, load_profile
from assistant.retrieval.territories import Gazetteer
from assistant.vocabulary import Vocabulary, load_vocabulary


def profile(settings: Settings) -> Profile:
    """The corpus' profile (generic defaults when the corpus has no profile.yaml)."""
    return load_profile(settings.profile_path)


def vocabulary(settings: Settings) -> Vocabulary:
    """The values records may use (open when the corpus has no vocabulary.yaml)."""
    return load_vocabulary(settings.vocabulary_path)


def gazetteer(settings: Settings, corpus_profile: Profile | None = None) -> Gazetteer:
    """The territories questions may name, the profile's home territory among them."""
    home = (corpus_profile or profile(settings)).home_territory
    return Gazetteer.load(settings.territories_path, home=home)
