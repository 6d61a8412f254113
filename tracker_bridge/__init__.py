"""tracker-bridge: a customer-support regulation run on top of Yandex Tracker."""

__version__ = "0.1.0"
