"""Exceptions: one class per fsvae_status of the C API, all FsvaeError."""


class FsvaeError(Exception):
    """A failure reported by the runtime; the message is the runtime's own."""

    status = None  # the fsvae_status value (an int) this class stands for


class InvalidArgumentError(FsvaeError, ValueError):
    """Bad input: dtype, shape, range, count, a buffer or index out of range."""

    status = 2


class ModelIOError(FsvaeError, OSError):
    """The model file cannot be opened or read."""

    status = 3


class InvalidModelError(FsvaeError, ValueError):
    """The bytes are not a valid model (truncated, corrupted, another format)."""

    status = 4


class OutOfMemoryError(FsvaeError, MemoryError):
    """The runtime could not allocate what the call needs."""

    status = 5


class BadStateError(FsvaeError, RuntimeError):
    """The call does not fit the session's state."""

    status = 6


class InternalError(FsvaeError, RuntimeError):
    """A failure the runtime did not foresee; the message says what."""

    status = 7


BY_STATUS = {c.status: c for c in (InvalidArgumentError, ModelIOError, InvalidModelError,
                                   OutOfMemoryError, BadStateError, InternalError)}
