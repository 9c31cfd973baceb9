"""Promise 4: hostile strings in every user field never become markup, scripts or requests.

A corpus of XSS payloads is logged with the public API into every field a user controls
(experiment names and tags, run names, descriptions, params, tags, metric keys, artifact file
and folder names and the contents of every previewed kind, model names, stages.yaml
descriptions, tags and aliases, commit messages and author names), the site is built, and
Chromium loads every page of it: no dialog opens, no payload's script runs (each one sets
``window.__xss`` or calls ``alert``), no payload's element appears (they carry ``xss`` ids,
the ``xss-marker`` class or ``img src=x``), no request leaves the site and no console error is
logged (except the sandbox and policy reports that prove an HTML preview was contained).
Template syntax (``{{7*7}}``) is shown as typed, never evaluated.

Keys of params, metrics and tags only admit letters, digits and ``_ - . : /`` and spaces
through the API (the corpus checks that the validator refuses the rest), so one run's record
is also written directly with the store's writer, with every payload as a key.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LinearRegression

import runreport
import runreport.sklearn
from runreport.exceptions import InvalidParameterError
from runreport.registry.stages import alias_problem, model_name_problem
from runreport.site import paths
from runreport.store import writer
from tests.browser.conftest import launched_chromium, serving
from tests.test_site_support import build, js_data, soup

pytestmark = pytest.mark.slow

# Every payload that runs code sets window.__xss or opens a dialog; every payload that makes an
# element gives it an xss id, the xss-marker class or src=x.
PAYLOADS = [
    # script elements, in many spellings
    "<script>window.__xss=1</script>",
    "<SCRIPT>window.__xss=2</SCRIPT>",
    "<ScRiPt >alert(3)</sCrIpT >",
    "<script src=data:,window.__xss=4></script>",
    "<scr<script>ipt>window.__xss=5</scr</script>ipt>",
    "<script\x0c>window.__xss=6</script>",
    "<<script>window.__xss=7//<</script>",
    # attribute breaks: double quote, single quote, backtick, unquoted
    '"><img src=x onerror=window.__xss=8 id=xss8>',
    "'><img src=x onerror=window.__xss=9 id=xss9>",
    "`><img src=x onerror=window.__xss=10 id=xss10>",
    '" onmouseover="window.__xss=11" autofocus onfocus="window.__xss=11" x="',
    "' onfocus='window.__xss=12' autofocus tabindex=1 x='",
    "x onload=window.__xss=13 onerror=window.__xss=13",
    '"/><svg/onload=window.__xss=14 id=xss14>',
    # dangerous URLs (as links, images and markdown)
    "javascript:window.__xss=15",
    "JaVaScRiPt:window.__xss=16",
    " \tjavascript:window.__xss=17",
    "java\nscript:window.__xss=18",
    "&#106;avascript:window.__xss=19",
    "data:text/html,<script>window.__xss=20</script>",
    "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MjE8L3NjcmlwdD4=",
    "vbscript:msgbox(22)",
    "https://evil.example/track.png",
    "//evil.example/x.js",
    # SVG, MathML and other elements with handlers
    "<svg onload=window.__xss=25 class=xss-marker>",
    "<svg><script>window.__xss=26</script></svg>",
    "<svg><animate onbegin=window.__xss=27 attributeName=x dur=1s id=xss27>",
    "<svg><a xlink:href=javascript:window.__xss=28><text id=xss28>x</text></a></svg>",
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=29">',
    "<details open ontoggle=window.__xss=30 id=xss30>",
    "<body onload=window.__xss=31>",
    "<input autofocus onfocus=window.__xss=32 id=xss32>",
    "<marquee onstart=window.__xss=33 class=xss-marker>",
    "<img src=x onerror=alert(34)>",
    # frames, objects, navigation
    '<iframe srcdoc="<script>parent.__xss=35</script>" class=xss-marker></iframe>',
    "<iframe src=javascript:parent.__xss=36 id=xss36>",
    '<object data="javascript:window.__xss=37" id=xss37></object>',
    '<embed src="javascript:window.__xss=38" id=xss38>',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=39">',
    '<base href="https://evil.example/">',
    '<form action="javascript:window.__xss=41"><button id=xss41>go</button></form>',
    # breaking out of scripts, JSON and comments
    "</script><script>window.__xss=42</script>",
    "</SCRIPT ><img src=x onerror=window.__xss=43>",
    '";window.__xss=44;//',
    "';window.__xss=45;//",
    '\\";window.__xss=46;//',
    "\u2028window.__xss=47\u2029",
    "<!--<script>window.__xss=48</script>-->",
    "<!-- unclosed comment",
    "--> <img src=x onerror=window.__xss=50>",
    "]]><script>window.__xss=51</script>",
    # CSS
    "</style><script>window.__xss=52</script>",
    "<style>body{background:url(https://evil.example/css.png)}</style>",
    '<link rel=stylesheet href="https://evil.example/x.css" class=xss-marker>',
    "</title><script>window.__xss=55</script>",
    "</textarea><script>window.__xss=56</script>",
    # markdown tricks
    "[click](javascript:window.__xss=57)",
    "[click](JaVaScRiPt:window.__xss=58)",
    "![x](javascript:window.__xss=59)",
    "![tracker](https://evil.example/pixel.png)",
    "[click](data:text/html,<script>window.__xss=61</script>)",
    "[ref]\n\n[ref]: javascript:window.__xss=62",
    "<javascript:window.__xss=63>",
    "[a](<javascript:window.__xss=64>)",
    "[x](vbscript:msgbox(65))",
    '[x](https://ok.example "title\\" onmouseover=\\"window.__xss=66")',
    # template injection
    "ZZ{{7*7}}ZZ",
    "{{7*7}}",
    "ZZ${7*7}ZZ",
    "${7*7}",
    "ZZ{{7*'7'}}ZZ",
    "{% raw %}{{7*7}}{% endraw %}",
    "ZZ#{7*7}ZZ <%= 7*7 %>",
    "{{constructor.constructor('window.__xss=74')()}}",
    # other oddities
    "%3Cscript%3Ewindow.__xss=75%3C/script%3E",
    "&lt;script&gt;window.__xss=76&lt;/script&gt;",
    "\x1b[31mred\x1b[0m \x0b\x0c\x7f\ufeff",
    "=cmd|' /C calc'!A0",
    "__proto__",
]
# Strings the key validator accepts (letters, digits, _ - . : / and spaces) that still try
# something: URL schemes, handler names, JavaScript's special property names.
KEY_PAYLOADS = [
    "javascript:alert",
    "x onerror",
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "data:text/html",
    "valueOf",
]
TEMPLATE_RESULTS = ("ZZ49ZZ", "ZZ7777777ZZ")
GROUP = 8  # payloads per experiment
# What a sandboxed HTML preview reports when its sandbox or policy stops a payload.
CONTAINED = re.compile(
    r"Blocked script execution in 'about:srcdoc'|violates the following Content Security Policy"
)


@dataclass
class Corpus:
    root: Path
    site: Path
    stages: Path
    experiments: dict[str, str] = field(default_factory=dict)  # id -> name
    runs: dict[str, str] = field(default_factory=dict)  # run id -> payload
    raw_run: str = ""
    model_run: str = ""
    models: list[str] = field(default_factory=list)
    accepted: dict[str, int] = field(default_factory=dict)  # field -> payloads it took
    refused: dict[str, int] = field(default_factory=dict)  # field -> payloads it refused


def _try(corpus: Corpus, name: str, call: Callable[[], object]) -> None:
    """Log one payload into one field; the field's validator may refuse it (counted)."""
    try:
        call()
    except InvalidParameterError:
        corpus.refused[name] = corpus.refused.get(name, 0) + 1
        return
    corpus.accepted[name] = corpus.accepted.get(name, 0) + 1


def _csv(payload: str) -> str:
    out = io.StringIO()
    csv.writer(out).writerows([[payload, "b"], [payload, payload], ["1", "2"]])
    return out.getvalue()


def _log_run(corpus: Corpus, index: int, payloads: list[str]) -> None:
    """One run holding two payloads: joined in one-value fields, one by one in the others."""
    joined = " ".join(payloads)
    key = KEY_PAYLOADS[index % len(KEY_PAYLOADS)]
    tags = {
        "mlflow.user": joined,
        "mlflow.source.name": joined,
        "mlflow.source.git.branch": joined,
        "mlflow.source.git.commit": joined,
        "mlflow.source.git.repoURL": joined,
    }
    description = "\n\n".join(payloads)
    with runreport.start_run(run_name=joined, description=description, tags=tags) as run:
        corpus.runs[run.info.run_id] = payloads
        runreport.log_param(key, joined)
        runreport.set_tag(KEY_PAYLOADS[(index + 1) % len(KEY_PAYLOADS)], joined)
        for step in range(3):
            runreport.log_metric("loss", 1.0 / (index + step + 1), step=step)
        runreport.log_metric(key, float(index))
        for n, payload in enumerate(payloads):
            runreport.log_param(f"p{n}", payload)
            runreport.set_tag(f"t{n}", payload)
            _try(corpus, "param key", lambda p=payload: runreport.log_param(p, 1))
            _try(corpus, "metric key", lambda p=payload: runreport.log_metric(p, 1.0))
            _try(corpus, "tag key", lambda p=payload: runreport.set_tag(p, 1))
            for suffix in ("txt", "md", "html", "yaml", "log"):
                runreport.log_text(payload, f"preview-{n}.{suffix}")
            runreport.log_text(_csv(payload), f"preview-{n}.csv")
            runreport.log_dict({"value": payload, payload: [payload, 7]}, f"preview-{n}.json")
            _try(corpus, "file name", lambda p=payload: runreport.log_text(p, f"named/{p}.txt"))
            _try(corpus, "folder name", lambda p=payload: runreport.log_text(p, f"dir/{p}/a.md"))


def _log_runs(corpus: Corpus) -> None:
    client = runreport.Client()
    for start in range(0, len(PAYLOADS), GROUP):
        group = PAYLOADS[start : start + GROUP]
        name = f"{start} " + " ".join(p.replace("\n", " ") for p in group)
        experiment_id = runreport.set_experiment(name[:500]).experiment_id
        corpus.experiments[experiment_id] = name[:500]
        client.set_experiment_tag(experiment_id, "mlflow.note.content", "\n\n".join(PAYLOADS))
        for offset, payload in enumerate(group):
            client.set_experiment_tag(experiment_id, f"tag {start + offset}", payload)
            client.set_experiment_tag(experiment_id, KEY_PAYLOADS[offset], payload)
        for pair in range(0, len(group), 2):
            _log_run(corpus, start + pair, group[pair : pair + 2])


def _log_raw_run(corpus: Corpus) -> None:
    """A run whose record holds every payload as a param, tag and metric key (as a foreign
    writer could leave it: the store's reader takes any string key)."""
    runreport.set_experiment("raw keys")
    with runreport.start_run(run_name="raw keys") as run:
        runreport.log_metric("loss", 0.5)
    corpus.raw_run = run.info.run_id
    run_dir = Path(run.info.artifact_uri.removeprefix("file://")).parent

    def change(record: Any) -> None:
        record.params.update({p: p for p in PAYLOADS})
        record.tags.update({p: p for p in PAYLOADS})

    writer.update_run(run_dir, change)
    now = int(time.time() * 1000)
    keys = [p for p in PAYLOADS if not set(p) & set("\t\n\r")]
    writer.MetricAppender(run_dir).append(
        [(k, now, step, float(i + step)) for i, k in enumerate(keys) for step in range(2)]
    )


def _log_model_run(corpus: Corpus) -> None:
    columns = [p for p in PAYLOADS[:12] if "\n" not in p]
    frame = pd.DataFrame({c: [float(i), float(i + 1)] for i, c in enumerate(columns)})
    runreport.set_experiment("model run")
    with runreport.start_run(run_name=PAYLOADS[0]) as run:
        runreport.log_metric("r2_score", 0.9)
        runreport.sklearn.log_model(
            LinearRegression().fit(frame, [0.0, 1.0]), name="model", input_example=frame
        )
    corpus.model_run = run.info.run_id


def _git(repo: Path, *args: str, author: str = "Ada") -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": "a@example.com",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
    }
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def _write_registry(corpus: Corpus, stage_of: dict[str, str]) -> None:
    source = f"runs:/{corpus.model_run}/model"
    aliases = [a for a in KEY_PAYLOADS + PAYLOADS if alias_problem(a) is None]
    models = {}
    for index, name in enumerate(corpus.models):
        payload = PAYLOADS[index % len(PAYLOADS)]
        models[name] = {
            "description": payload,
            "tags": {"t": payload, payload: payload},
            "versions": {
                1: {"source": source, "stage": stage_of.get(name, "None"), "description": payload},
                2: {"source": payload, "stage": "Archived", "tags": {payload: payload}},
            },
            "aliases": {aliases[index % len(aliases)]: 1},
        }
    text = yaml.safe_dump({"models": models}, allow_unicode=True, sort_keys=False)
    corpus.stages.write_text(text, encoding="utf-8")


def _log_registry(corpus: Corpus) -> None:
    """stages.yaml with every payload as a model name, description, tag and alias (where the
    schema allows it), committed by authors named with payloads, with payloads as messages."""
    for payload in PAYLOADS:
        if model_name_problem(payload) is None:
            corpus.models.append(payload)
            corpus.accepted["model name"] = corpus.accepted.get("model name", 0) + 1
        else:
            corpus.refused["model name"] = corpus.refused.get("model name", 0) + 1
    repo = corpus.stages.parent
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "remote", "add", "origin", "https://github.com/acme/xss.git")
    stages: dict[str, str] = {}
    for commit, start in enumerate(range(0, len(PAYLOADS), GROUP)):
        group = PAYLOADS[start : start + GROUP]
        for offset in range(3):
            name = corpus.models[(start + offset) % len(corpus.models)]
            stages[name] = ("Staging", "Production", "Archived")[(commit + offset) % 3]
        _write_registry(corpus, stages)
        message = corpus.stages.parent / "message.txt"
        message.write_text("\n\n".join([*group, f"(#{commit + 1})"]), encoding="utf-8")
        # git drops < and > from names (and line breaks do not fit in one)
        author = "a " + " ".join(re.sub(r"[\n\r<>]", " ", p) for p in group) + " z"
        _git(repo, "add", "stages.yaml")
        _git(repo, "commit", "-q", "--cleanup=verbatim", "-F", "message.txt", author=author)
    stages[corpus.models[0]] = "Production"
    _write_registry(corpus, stages)  # an uncommitted change: a pending event too


def _make_corpus(base: Path) -> Corpus:
    from tests.conftest import _reset_fluent_state

    corpus = Corpus(base / "runs", base / "www" / "repo", base / "stages.yaml")
    _reset_fluent_state()
    try:
        runreport.set_tracking_uri(str(corpus.root))
        _log_runs(corpus)
        _log_raw_run(corpus)
        _log_model_run(corpus)
    finally:
        _reset_fluent_state()
    _log_registry(corpus)
    report = build(corpus.root, corpus.site, registry=corpus.stages)
    assert report.problems == []
    return corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return _make_corpus(tmp_path_factory.mktemp("xss"))


# ---------------------------------------------------------------- the corpus itself


def test_the_corpus_reaches_every_field(corpus: Corpus) -> None:
    assert len(set(PAYLOADS)) == len(PAYLOADS) >= 50
    assert sorted(p for pair in corpus.runs.values() for p in pair) == sorted(PAYLOADS)
    assert len(corpus.experiments) == -(-len(PAYLOADS) // GROUP)
    for name in ("file name", "folder name", "model name"):
        assert corpus.accepted[name] >= 40, (name, corpus.accepted, corpus.refused)
    # The key validator refuses every payload holding markup characters.
    for name in ("param key", "metric key", "tag key"):
        assert corpus.refused[name] >= len(PAYLOADS) - 5, (name, corpus.refused)


def _html_pages(site: Path) -> list[Path]:
    """The site's pages (not the HTML artifacts it publishes as they were logged)."""
    return sorted(p for p in site.rglob("*.html") if "artifacts" not in p.parts)


# ---------------------------------------------------------------- the built files


def test_pages_hold_no_markup_from_user_strings(corpus: Corpus) -> None:
    allowed_scripts = ("page-data",)
    for page in _html_pages(corpus.site):
        document = soup(page)
        text = page.read_text(encoding="utf-8")
        assert not any(result in text for result in TEMPLATE_RESULTS), page
        for node in document.find_all(True):
            handlers = [a for a in node.attrs if a.lower().startswith("on")]
            assert handlers == [], (page, node.name, handlers)
            assert "xss" not in str(node.get("id", "")) + str(node.get("class", "")), page
        assert document.select("base, object, embed, math, meta[http-equiv], img[src=x]") == []
        for frame in document.select("iframe"):
            assert frame.get("sandbox") in ("", []) and not frame.get("src"), page
        for script in document.select("script"):
            if script.get("src"):
                assert not re.match(r"^([a-z]+:|//)", script["src"], re.I), page
            elif script.get("id") in allowed_scripts:
                assert script.get("type") == "application/json"
                assert not re.search("[<>&\u2028\u2029]", script.string or ""), page
            else:
                assert page.name == "404.html", page
        for node in document.select("[href], [src], [action]"):
            for name in ("href", "src", "action"):
                target = re.sub(r"[\s\x00-\x1f]", "", str(node.get(name) or "")).lower()
                assert not target.startswith(("javascript:", "vbscript:", "data:text")), page
                if name != "href":  # links may lead out (http(s) only); nothing loads from out
                    assert not re.match(r"^([a-z]+:|//)", target) or target == "data:,", page


def test_user_strings_are_shown_exactly_as_typed(corpus: Corpus) -> None:
    for run_id, payloads in corpus.runs.items():
        joined = " ".join(payloads)
        page = soup(corpus.site / paths.run_page(run_id))
        assert page.select_one("h1").contents[0].rstrip("\n ") == joined.rstrip("\n "), joined
        kv = page.select("table.kv")
        params = {tr.th.get_text(): tr.td.get_text() for tr in kv[1].select("tr")}
        tags = {tr.th.get_text(): tr.td for tr in kv[2].select("tr")}
        data = js_data(corpus.site / paths.run_data(run_id))
        assert data["name"] == joined
        files = {li.select_one(".name").get_text(): li for li in page.select("li.file")}
        for n, payload in enumerate(payloads):
            assert params[f"p{n}"] == payload and data["params"][f"p{n}"] == payload
            assert tags[f"t{n}"].get_text() == payload
            links = [a["href"] for a in tags[f"t{n}"].select("a")]
            assert links == ([payload] if payload.startswith("https://") else []), payload
            assert files[f"preview-{n}.txt"].select_one("pre").get_text() == payload
            frame = files[f"preview-{n}.html"].select_one("iframe")
            assert frame["srcdoc"].endswith("\n" + payload)  # shown in a sandbox, as typed
    raw = js_data(corpus.site / paths.run_data(corpus.raw_run))
    assert all(raw["params"][p] == p for p in PAYLOADS)
    assert all(raw["metrics"].get(p) for p in PAYLOADS if not set(p) & set("\t\n\r"))


def test_data_files_cannot_close_a_script(corpus: Corpus) -> None:
    files = list((corpus.site / "runs").glob("*.js"))
    files += list((corpus.site / "experiments").glob("*/runs.js"))
    assert len(files) >= len(corpus.runs)
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search("[<>&\u2028\u2029]", text), path


def test_the_changelog_feed_is_well_formed_atom(corpus: Corpus) -> None:
    feed = ET.parse(corpus.site / paths.CHANGELOG_FEED).getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.tag == f"{atom}feed"
    assert {node.tag for node in feed.iter()} <= {
        f"{atom}{name}"
        for name in (
            *("feed", "title", "id", "updated", "link", "generator"),
            *("entry", "author", "name", "summary"),
        )
    }
    assert len(feed.findall(f"{atom}entry")) >= 10
    authors = " ".join(n.text or "" for n in feed.iter(f"{atom}name"))
    assert " img src=x onerror=window.__xss=9 id=xss9 " in authors


# ---------------------------------------------------------------- in Chromium


@dataclass
class Seen:
    """Everything the browser saw that a payload could have caused."""

    dialogs: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    breaches: list[str] = field(default_factory=list)


CHECK = """() => {
  const found = [];
  if (window.__xss !== undefined) found.push("window.__xss = " + window.__xss);
  const marked = document.querySelectorAll('[id^=xss], .xss-marker, img[src=x], img[src="x"]');
  marked.forEach(e => found.push("element " + e.outerHTML.slice(0, 80)));
  document.querySelectorAll("*").forEach(e => {
    for (const a of e.attributes) {
      if (a.name.toLowerCase().startsWith("on")) found.push("handler " + e.tagName + " " + a.name);
      const v = a.value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
      if (/^(href|src|action|formaction|data|xlink:href|poster)$/.test(a.name) &&
          /^(javascript|vbscript|data:text|data:application)/.test(v))
        found.push("url " + e.tagName + " " + a.name + "=" + v.slice(0, 40));
    }
  });
  document.querySelectorAll("base, object, embed, math, meta[http-equiv], marquee, form[action]")
    .forEach(e => found.push("element " + e.tagName));
  document.querySelectorAll("iframe").forEach(f => {
    if (f.getAttribute("sandbox") !== "" || f.hasAttribute("src"))
      found.push("iframe " + f.outerHTML.slice(0, 80));
  });
  const tip = document.getElementById("vg-tooltip-element");
  if (tip) tip.querySelectorAll("*").forEach(e => {
    if (!/^(TABLE|TBODY|TR|TD|H2)$/.test(e.tagName)) found.push("tooltip " + e.tagName);
  });
  const text = document.documentElement.outerHTML + (document.body ? document.body.innerText : "");
  for (const result of RESULTS) if (text.includes(result)) found.push("evaluated " + result);
  return found;
}""".replace("RESULTS", repr(list(TEMPLATE_RESULTS)))

SETTLE = """async () => {
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  document.querySelectorAll("[loading=lazy]").forEach(e => { e.loading = "eager"; });
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  await frame();
  for (let i = 0; i < 200 && document.querySelector("[data-drawn=pending]"); i++) await frame();
  return document.querySelectorAll("[data-drawn=true]").length;
}"""


HOVER = """async index => {
  const marks = document.querySelectorAll(".chart svg [role=graphics-symbol]");
  const mark = marks[index];
  if (!mark) return null;
  const box = mark.getBoundingClientRect();
  const at = {bubbles: true, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2};
  mark.dispatchEvent(new PointerEvent("pointermove", at));
  mark.dispatchEvent(new MouseEvent("mousemove", at));
  await new Promise(r => requestAnimationFrame(r));
  const tip = document.getElementById("vg-tooltip-element");
  const breaches = [];
  if (window.__xss !== undefined) breaches.push("window.__xss = " + window.__xss);
  if (tip) tip.querySelectorAll("*").forEach(e => {
    if (!/^(TABLE|TBODY|TR|TD|H2)$/.test(e.tagName)) breaches.push(e.outerHTML.slice(0, 80));
  });
  return {text: tip ? tip.textContent : "", breaches: breaches};
}"""


@pytest.fixture(scope="module")
def chromium(playwright_driver: Any) -> Iterator[Any]:
    # No name resolves: a request that tried to leave the site cannot reach anything.
    no_names = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)
    with launched_chromium(playwright_driver, no_names) as browser:
        yield browser


@pytest.fixture(scope="module")
def served(corpus: Corpus) -> Iterator[str]:
    with serving(corpus.site.parent) as root_url:
        yield root_url + "repo/"


@dataclass(frozen=True)
class Visit:
    """One page to check: its address, whether it marks itself ready, whether to hover charts."""

    url: str
    ready: bool = True
    hover: bool = False


class Browser:
    """A tab that records dialogs, console errors, page errors and requests leaving
    ``allowed``."""

    def __init__(self, chromium: Any, allowed: str) -> None:
        self.allowed = allowed
        self.seen = Seen()
        self.blocked: set[int] = set()
        self.requests: list[tuple[Any, str]] = []
        self.current = ""
        self.drawn = self.hovered = self.contained = 0
        # A tall window: every chart is in view, so every chart is drawn.
        self.context = chromium.new_context(viewport={"width": 1280, "height": 4000})
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.seen.errors.append(f"{self.current}: {e.stack}"))
        self.page.on("request", self._request)
        self.page.on("requestfailed", self._failed)

    def _dialog(self, dialog: Any) -> None:
        self.seen.dialogs.append(f"{self.current}: {dialog.type} {dialog.message}")
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        where = message.location.get("url", "")
        if message.type != "error":
            return
        if where == "about:srcdoc" or CONTAINED.search(message.text):
            self.contained += 1  # reported by (or about) a sandboxed preview: it was stopped
            return
        if where.endswith("/favicon.ico"):
            return  # the browser's own request for the feed's icon
        self.seen.errors.append(f"{self.current}: {message.text} ({where})")

    def _request(self, request: Any) -> None:
        if not request.url.startswith((self.allowed, "data:", "about:", "blob:")):
            self.requests.append((request, f"{self.current}: {request.url}"))

    def _failed(self, request: Any) -> None:
        if request.failure in ("csp", "net::ERR_BLOCKED_BY_CSP"):
            self.blocked.add(id(request))  # stopped by a preview's policy: never sent

    def check(self, visits: list[Visit]) -> None:
        """Load each page, open every folded part, draw every chart, look for breaches."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        for visit in visits:
            self.current = visit.url
            self.page.goto(visit.url)
            if visit.ready:
                try:
                    self.page.wait_for_selector("body[data-ready]", timeout=15_000)
                except PlaywrightTimeout:
                    self.seen.breaches.append(f"{visit.url}: never ready (its scripts broke)")
                    continue
                self.drawn += int(self.page.evaluate(SETTLE))
                for frame in self.page.main_frame.child_frames:  # HTML previews, now unfolded
                    with contextlib.suppress(PlaywrightTimeout):
                        frame.wait_for_load_state("load", timeout=5_000)
            self.seen.breaches += [f"{visit.url}: {b}" for b in self.page.evaluate(CHECK)]
            if visit.hover:
                self._hover(visit.url)

    def _hover(self, url: str) -> None:
        """Point at chart marks one by one, so each tooltip (run names...) is drawn."""
        for index in range(12):
            tooltip = self.page.evaluate(HOVER, index)
            if tooltip is None:
                break
            self.hovered += 1 if tooltip.get("text") else 0
            self.seen.breaches += [f"{url} tooltip: {b}" for b in tooltip["breaches"]]

    def close(self) -> Seen:
        self.context.close()
        self.seen.outside = [label for r, label in self.requests if id(r) not in self.blocked]
        return self.seen


def _assert_clean(seen: Seen) -> None:
    found = {
        "dialogs": seen.dialogs,
        "breaches": seen.breaches,
        "requests outside the site": seen.outside,
        "console errors": seen.errors,
    }
    report = "\n".join(
        f"{kind}:\n  " + "\n  ".join(items) for kind, items in found.items() if items
    )
    assert not report, report


def test_no_payload_runs_or_injects_on_any_page(corpus: Corpus, served: str, chromium: Any) -> None:
    pages = [p.relative_to(corpus.site).as_posix() for p in _html_pages(corpus.site)]
    assert len(pages) >= len(corpus.runs) + len(corpus.models) + len(corpus.experiments)
    visits = [
        Visit(served + page, ready=page != paths.NOT_FOUND, hover=page.startswith("experiments/"))
        for page in pages
    ]
    ids = ",".join(corpus.runs) + f",{corpus.raw_run},{corpus.model_run}"
    visits.append(Visit(f"{served}{paths.COMPARE}?runs={ids}", hover=True))
    # Payloads in the address: a filter link, compare ids, the 404 page's own script, the feed.
    first = next(iter(corpus.experiments))
    for payload in PAYLOADS[:12:2]:
        quoted = payload.replace("#", "%23").replace("\n", "%0A")
        visits.append(Visit(f"{served}{paths.experiment_page(first)}#filter={quoted}"))
    visits.append(Visit(f"{served}{paths.COMPARE}?runs=<script>alert(1)</script>,{corpus.raw_run}"))
    visits.append(Visit(f"{served}{paths.NOT_FOUND}#<img src=x onerror=alert(1)>", ready=False))
    visits.append(Visit(served + paths.CHANGELOG_FEED, ready=False))
    browser = Browser(chromium, served)
    try:
        browser.check(visits)
    finally:
        seen = browser.close()
    _assert_clean(seen)
    assert browser.drawn >= len(corpus.runs) and browser.hovered >= 40
    assert browser.contained >= 30  # the HTML previews did load, and were stopped


def test_no_payload_runs_in_a_self_contained_site_from_file_urls(
    corpus: Corpus, chromium: Any, tmp_path: Path
) -> None:
    """Every asset and data file inlined into the page: the JSON and scripts live in the page."""
    site = tmp_path / "inline"
    build(corpus.root, site, registry=corpus.stages, self_contained=True)
    pages = ["index.html", *(paths.experiment_page(e) for e in list(corpus.experiments)[:4])]
    pages += [paths.run_page(r) for r in list(corpus.runs)[:: max(1, len(corpus.runs) // 4)]]
    pages += [paths.run_page(corpus.raw_run), paths.run_page(corpus.model_run)]
    pages += [paths.REGISTRY, paths.CHANGELOG, paths.model_page(corpus.models[0])]
    browser = Browser(chromium, site.as_uri() + "/")
    try:
        browser.check([Visit(f"{site.as_uri()}/{page}") for page in pages])
    finally:
        seen = browser.close()
    _assert_clean(seen)


def test_keys_named_like_javascript_properties_filter_like_python(
    corpus: Corpus, served: str, chromium: Any
) -> None:
    """A param or tag named ``constructor`` or ``__proto__`` is a key like any other in the
    runs table's filter (the page's maps have no prototype to collide with)."""
    from runreport import search

    first = next(iter(corpus.experiments))
    runs = runreport.Client(str(corpus.root)).search_runs([first], max_results=1000)
    filters = [f"{kind}.`{key}` IS NOT NULL" for kind in ("params", "tags") for key in KEY_PAYLOADS]
    filters += [f"params.`{key}` = '{PAYLOADS[0]}'" for key in KEY_PAYLOADS]
    browser = Browser(chromium, served)
    try:
        browser.check([Visit(served + paths.experiment_page(first))])
        for text in filters:
            expected = sorted(r.info.run_id for r in search.filter_runs(runs, text))
            found = browser.page.evaluate("text => window.runreport.matchingRuns(text)", text)
            assert sorted(found) == expected, text
    finally:
        seen = browser.close()
    _assert_clean(seen)
