"""What a record's change was: one primary category and any secondary ones, from its README description,
its PR title and its semantic code change.

Rule (stated in README "Categories of a change"; checked against hand labels in
tests/fixtures/categories_track1.csv):
1. `software upgrade` when the README description is only a torch/CUDA version change (the one list of
   software upgrades: derive/normalise.py `is_software_upgrade`, the same list that sets `change_type`).
2. The description is cut into clauses (at `,` `;` `&` `+` `→`); each clause gets the first family in
   CLAUSE_RULES whose words it holds (the order puts the means before the object: "FP8 head" is systems,
   "Muon LR" optimizer, "attention window warmup" schedule). The first clause that names a family gives
   the primary category (README descriptions lead with the change the record is credited for); the other
   clauses' families are secondary.
3. No clause names a family: the PR title (prefixes such as "New WR 153.9s:" dropped), by the same rule.
4. Neither text names one: the semantic code change, i.e. the category with the largest share of changed
   lines among definitions that changed beyond layout, comments and local names (code_changes.csv
   `unit_categories`; kernel-module units count as systems).
5. The text says the maths is unchanged ("same math", "equivalent"): systems, the named family secondary.
6. Speed, not sample efficiency: when the text says optimizer or data but the record trained on no fewer
   tokens than its predecessor (compute.csv `train_tokens`, steps x batch, both runs' steps from their
   logs), the gain came from faster steps, so the primary is systems and the text's family is secondary.
On a steps track (track 3: architecture, data and batch are fixed by its rules, wall-clock does not
count) only STEPS_TRACK_CATEGORIES can be primary: the first clause naming one of them, else optimizer.
Secondary categories also take every code category holding at least CODE_SECONDARY_SHARE of the semantic
changed lines. The line shares themselves stay in the `weight_*` columns and `category_line_share`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalise import is_software_upgrade

CODE_SECONDARY_SHARE = 0.25
STEPS_TRACK_CATEGORIES = ("optimizer", "schedule/hyper-parameters")

CLAUSE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "systems",
        re.compile(
            r"fp8|bf16|bfloat16|float32|precision|kernel|triton|fus(?:e|ed|ion)\b|flash[- ]?attention|\bfa3\b|"
            r"compil|overlap|async|thread|prefetch|preload|distributed|all[-_ ]?reduce|reduce[-_ ]?scatter|"
            r"comms?\b|communication|hooks?\b|\bgpu\b|\bcpu\b|h2d|faster|speed ?up|transpose|flatten|"
            r"same math|implementation",
            re.I,
        ),
    ),
    (
        "optimizer",
        re.compile(
            r"muon|adam|optimi[sz]er|newton|schulz|polar express|snoo|weight decay|\bcwd\b|momentum|"
            r"orthogon|\bbeta\b|\bema\b",
            re.I,
        ),
    ),
    (
        "schedule/hyper-parameters",
        re.compile(
            r"learning rate|\blr\b|schedule|cooldown|warm-?up|hyper-?param|batch size|\bsteps\b|iterations|"
            r"\bfrom [\d.]+ to [\d.]+|instead of [\d.]+",
            re.I,
        ),
    ),
    ("data", re.compile(r"\bdata\b|loader|batch|document|\bbos\b|\beos\b|curriculum|max_doc_len|fineweb", re.I)),
    (
        "architecture",
        re.compile(
            r"attention|attn|\bmha\b|qkv|embed|skip|norm\b|qk-?norm|mlp|relu|head|layer|rotary|rope|yarn|gate|"
            r"smear|backout|u-?net|softcap|logit|value|ti(?:e|ed)\b|untie|retie|multi-token|prediction|"
            r"hyper-?connection|residual|init|offset|projection|mudd|xsa|lambda",
            re.I,
        ),
    ),
)

_SAME_MATHS = re.compile(r"same math|mathematically equivalent|\bequivalent\b|no change (?:in|to) (?:the )?math", re.I)
_SPLIT = re.compile(r"\s*(?:[,;&+→]|\bw/)\s*")
_TITLE_PREFIX = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)*(?:track[ _]?1\s*)?(?:\(?new\s+(?:wr|record|track_1 record)\b|record\b)?[^:]*:\s*",
    re.I,
)


@dataclass(frozen=True)
class Category:
    primary: str
    secondary: tuple[str, ...]
    basis: str  # software_upgrade | description | pr_title | code | none; + same_maths / tokens / steps_track


def clause_categories(text: str) -> list[str]:
    """The family of each clause of `text` that names one, in order."""
    out = []
    for clause in _SPLIT.split(text or ""):
        for cat, pat in CLAUSE_RULES:
            if pat.search(clause):
                out.append(cat)
                break
    return out


def strip_title(title: str) -> str:
    """A PR title without its record claim ("New WR 153.9s: ...", "[New Record] ... (-1s)")."""
    t = re.sub(r"\(\s*[-–+][^)]*\)", " ", title or "")
    if ":" in t:
        t = _TITLE_PREFIX.sub("", t, count=1)
    return re.sub(r"^\s*\[[^\]]*\]\s*", "", t).strip()


def categorise_change(
    description: str,
    pr_title: str = "",
    code_weights: dict[str, float] | None = None,
    tokens_ratio: float | None = None,
    steps_track: bool = False,
) -> Category:
    """The category of one record's change (see the module docstring). `code_weights`: semantic line shares
    per category; `tokens_ratio`: this record's training tokens / its predecessor's; `steps_track`: the
    track fixes everything but the optimizer and its schedule."""
    code = {k: v for k, v in (code_weights or {}).items() if k != "other" and v > 0}
    code_secondary = [k for k, v in sorted(code.items(), key=lambda kv: -kv[1]) if v >= CODE_SECONDARY_SHARE]
    if is_software_upgrade(description):
        secondary = tuple(c for c in code_secondary if c != "software upgrade")
        return Category("software upgrade", secondary, "software_upgrade")
    found = clause_categories(description)
    basis = "description"
    if not found:
        found, basis = clause_categories(strip_title(pr_title)), "pr_title"
    if not found and code:
        found, basis = [max(code, key=lambda k: code[k])], "code"
    if not found and steps_track:
        return Category("optimizer", (), "none+steps_track")
    if not found:
        return Category("", (), "none")
    if steps_track:
        primary = next((c for c in found if c in STEPS_TRACK_CATEGORIES), "optimizer")
        return Category(primary, tuple(c for c in dict.fromkeys(found) if c != primary), basis + "+steps_track")
    primary = found[0]
    if primary != "systems" and _SAME_MATHS.search(f"{description} {pr_title}"):
        found = ["systems", *found]
        primary, basis = "systems", basis + "+same_maths"
    if primary in ("optimizer", "data") and tokens_ratio is not None and tokens_ratio >= 1.0:
        found = ["systems", *found]
        primary, basis = "systems", basis + "+tokens"
    secondary = [c for c in dict.fromkeys(found[1:] + code_secondary) if c != primary]
    return Category(primary, tuple(secondary), basis)
