"""The scale generator: realistic, valid, deterministic pathway histories of any size."""

from bench.scale.history import LOG_COLUMNS, History, ShardStream, copy_line

__all__ = ["LOG_COLUMNS", "History", "ShardStream", "copy_line"]
