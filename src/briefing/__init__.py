"""Peninsula briefs: sourced, dated analytical briefs rendered from notebooks."""

__version__ = "0.1.0"
