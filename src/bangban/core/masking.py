"""How personal data is shown when it is not deliberately revealed."""


def mask_id_number(value: str) -> str:
    """Keep the first four and last four characters: 1101**********002X."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """Keep the first three and last four digits: 138****5678; a landline keeps its last four."""
    if not value:
        return ""
    if len(value) == 11 and value.isdigit():
        return value[:3] + "****" + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def mask_name(value: str) -> str:
    """A person's name keeps its first character (the surname): 张秀英 → 张**. For lists that
    are printed and passed around (the ledger), where the full name is more than they need."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1) if len(value) > 1 else "*"
