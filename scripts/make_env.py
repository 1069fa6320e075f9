"""Write `.env` from `.env.example` with fresh random keys, unless `.env` exists."""

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
if not target.exists():
    text = Path(".env.example").read_text(encoding="utf-8")
    text = text.replace("SECRET_KEY=change-me", f"SECRET_KEY={secrets.token_urlsafe(50)}")
    text = text.replace(
        "FIELD_ENCRYPTION_KEY=change-me", f"FIELD_ENCRYPTION_KEY={Fernet.generate_key().decode()}"
    )
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} with new random keys")
