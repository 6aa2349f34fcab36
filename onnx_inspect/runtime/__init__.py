"""Runtime layer: onnxruntime sessions for partial inference, placement and profiles (never widgets)."""

from .accuracy import first_divergence as first_divergence
from .accuracy import match_tensors as match_tensors
from .feeds import load_feeds as load_feeds
from .profile import Profile as Profile
from .profile import ProfileComparison as ProfileComparison
from .profile import compare_profiles as compare_profiles
from .profile import profile as profile
from .providers import providers as providers
from .run import compare as compare
from .run import input_dims as input_dims
from .run import input_shapes as input_shapes
from .run import make_feeds as make_feeds
from .run import placement as placement
from .run import read_feeds as read_feeds
from .run import run as run
from .session import clear_cache as clear_cache
from .shapes import symbolic_shapes as symbolic_shapes
