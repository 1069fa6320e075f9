"""The chapters of the manual (docs/manual/, Markdown): one per role in Chinese, two English
translations, and the two one-page quick guides. The order of CHAPTERS is the order of the
index and of manual.pdf (the roles from the village window up to the operators)."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

# Role values of bangban.org.models.Role, spelled out so that the manual depends on no app's
# models (tests/manual checks that they are real roles).
AGENT, LIAISON, MANAGER = "agent", "liaison", "manager"
CENTRE_ADMIN, SUPERVISOR, SYSADMIN, APPLICANT = (
    "centre_admin",
    "supervisor",
    "sysadmin",
    "applicant",
)


@dataclass(frozen=True)
class Chapter:
    slug: str  # the URL part under /help/ and the built file's name
    title: str  # the short title of the index (the chapter's own heading is its `# ` line)
    language: str  # "zh-hans" or "en"
    path: str  # under BANGBAN_MANUAL_DIR
    roles: tuple[str, ...]  # who it is written for (applicant: citizens and enterprises)

    @property
    def file(self) -> Path:
        return manual_dir() / self.path

    def source(self) -> str:
        return self.file.read_text(encoding="utf-8")

    def heading(self) -> str:
        """The chapter's own title: its first `# ` line (the registry title when it has none)."""
        for line in self.source().splitlines():
            if line.startswith("# "):
                return line[2:].strip()
        return self.title


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("agent", "帮办代办员", "zh-hans", "zh/agent.md", (AGENT,)),
    Chapter("liaison", "部门联络员", "zh-hans", "zh/liaison.md", (LIAISON,)),
    Chapter("manager", "服务点负责人", "zh-hans", "zh/manager.md", (MANAGER,)),
    Chapter("admin", "县级中心管理员", "zh-hans", "zh/admin.md", (CENTRE_ADMIN,)),
    Chapter("supervisor", "监督人员", "zh-hans", "zh/supervisor.md", (SUPERVISOR,)),
    Chapter("citizen", "群众和企业", "zh-hans", "zh/citizen.md", (APPLICANT,)),
    Chapter("operations", "运维", "zh-hans", "zh/operations.md", (SYSADMIN,)),
    Chapter("en/admin", "Centre administrator", "en", "en/admin.md", (CENTRE_ADMIN,)),
    Chapter("en/operations", "Operations", "en", "en/operations.md", (SYSADMIN,)),
)

# One A4 page each, printed and kept at the window (agent) or handed out (citizen).
QUICK_GUIDES: tuple[Chapter, ...] = (
    Chapter("quick/agent", "窗口帮办代办快速指引", "zh-hans", "quick/agent.md", (AGENT,)),
    Chapter("quick/citizen", "群众办事快速指引", "zh-hans", "quick/citizen.md", (APPLICANT,)),
)

BY_SLUG: dict[str, Chapter] = {chapter.slug: chapter for chapter in CHAPTERS + QUICK_GUIDES}

# The Chinese chapter each role reads first: its home page and the role-dependent help links.
ROLE_CHAPTER: dict[str, str] = {
    AGENT: "agent",
    LIAISON: "liaison",
    MANAGER: "manager",
    CENTRE_ADMIN: "admin",
    SUPERVISOR: "supervisor",
    SYSADMIN: "operations",
    APPLICANT: "citizen",
}


def manual_dir() -> Path:
    return Path(settings.BANGBAN_MANUAL_DIR)


def chapter(slug: str) -> Chapter | None:
    return BY_SLUG.get(slug)


def chapters(language: str | None = None) -> tuple[Chapter, ...]:
    return tuple(c for c in CHAPTERS if language is None or c.language == language)
