"""What a channel's sender reports back for one try."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SendResult:
    ok: bool
    detail: str = ""
    status_code: int | None = None
    permanent: bool = False  # retrying will not help
    skipped: bool = False  # nothing to send it through: not an error of the receiver

    @classmethod
    def delivered(cls, detail: str = "", status_code: int | None = None) -> "SendResult":
        return cls(ok=True, detail=detail, status_code=status_code)

    @classmethod
    def failed(cls, detail: str, *, permanent: bool = False, status_code: int | None = None) -> "SendResult":
        return cls(ok=False, detail=detail, permanent=permanent, status_code=status_code)

    @classmethod
    def skip(cls, detail: str) -> "SendResult":
        return cls(ok=False, detail=detail, skipped=True)
