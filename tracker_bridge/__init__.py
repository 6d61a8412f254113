"""tracker-bridge: a customer-support regulation run on top of Yandex Tracker."""

__version__ = "0.1.0"

from tracker_bridge.foundation import moved as _moved

_moved.install()
