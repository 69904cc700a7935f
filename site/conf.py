"""Sphinx configuration of the course's website (build it with ``python -m tools.build_site``).

The pages are the saved notebooks, rendered as they are (nothing is executed), the landing page
(site/index.md, which includes the README's course table) and the instructor guide. Everything the
site loads is bundled with it: no CDN, no web fonts, MathJax from sphinx-mathjax-offline.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _launch_module():
    spec = importlib.util.spec_from_file_location("launch", ROOT / "tools" / "launch.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["launch"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


launch = _launch_module()
SETTINGS = launch.settings(ROOT)  # [tool.training-loop-lab] in pyproject.toml: the same links as tools/launch.py
REPO = launch.Repo.parse(SETTINGS["repository"], SETTINGS["branch"]) if SETTINGS["repository"] else None
HUB = SETTINGS["jupyterhub"]

project = "Training Loop Lab"
author = "the Training Loop Lab authors"
copyright = "the Training Loop Lab authors, MIT licence"
root_doc = "index"
extensions = ["myst_nb"]
exclude_patterns = ["README.md", "**/.ipynb_checkpoints"]  # README.md: only included by index.md

# -- notebooks: shown as saved ---------------------------------------------------------------------------------
nb_execution_mode = "off"
# No widget manager on the site (it would come from a CDN): the widget views are skipped, so every output
# shows its static copy instead: a demo's text/html (readout + picture with alt text), else its text.
nb_mime_priority_overrides = [("*", "application/vnd.jupyter.widget-view+json", None)]
nb_ipywidgets_js = {}  # not require.js nor @jupyter-widgets/html-manager from a CDN
nb_merge_streams = True  # a cell's many prints show as one block
myst_enable_extensions = ["dollarmath", "amsmath"]  # $...$ and $$...$$ in the notebooks' prose
myst_heading_anchors = 3
# MathJax 3 from the sphinx-mathjax-offline package, copied into _static/mathjax by _copy_mathjax (below):
# that package's own extension copies all 24 MB and stops Sphinx from reading in parallel.
mathjax_path = "mathjax/tex-chtml.js"
MATHJAX_PARTS = ["tex-chtml.js", "input", "output/chtml", "a11y", "ui", "sre", "adaptors"]
suppress_warnings = ["mystnb.unknown_mime_type"]  # the widget views skipped above

# -- HTML --------------------------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Training Loop Lab"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_favicon = "_static/favicon.svg"  # else browsers ask for /favicon.ico, which is not there
html_context = {"default_mode": "light"}  # unset, the theme's script logs "Got invalid theme mode" as an error
html_sourcelink_suffix = ""  # the download button gives the .ipynb itself
html_last_updated_fmt = None
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
    # pydata-sphinx-theme 0.20 (under sphinx-book-theme 1.4) adds a second search field in a top bar otherwise
    "navbar_persistent": [],
    "use_repository_button": REPO is not None,
    **({"repository_url": REPO.url, "repository_branch": REPO.branch} if REPO else {}),
}


def _launch_buttons(app, pagename, templatename, context, doctree):
    """A launch menu on every page: Binder, the JupyterHub (nbgitpuller) and Colab, made by tools/launch.py.

    A notebook's page opens that notebook; the other pages open the first one. No repository set: no menu.
    """
    if REPO is None or "header_buttons" not in context:
        return
    name = pagename.split("/")[-1] + ".ipynb" if pagename.startswith("notebooks/") else launch.FIRST_NOTEBOOK
    links = [("Binder", REPO.binder(name), "logo_binder.svg")]
    if HUB:
        links.append(("JupyterHub", REPO.nbgitpuller(HUB, name), "logo_jupyterhub.svg"))
    links.append(("Colab", REPO.colab(name), "logo_colab.png"))
    buttons = [{"type": "link", "text": text, "tooltip": f"Open {name} on {text}", "url": url,
                "icon": f"_static/images/{icon}", "label": f"launch-{text.lower()}"}
               for text, url, icon in links]  # fmt: skip
    context["header_buttons"].append({"type": "group", "tooltip": "Launch this notebook", "icon": "fas fa-rocket",
                                      "buttons": buttons, "label": "launch-buttons"})  # fmt: skip


def _copy_mathjax(app, exception):
    import importlib.util
    import shutil

    if exception is not None or app.builder.format != "html":
        return
    spec = importlib.util.find_spec("sphinx-mathjax-offline")  # site/requirements.txt installs it
    source = Path(spec.submodule_search_locations[0]) / "static" / "mathjax"
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, target / part)


def _drop_widget_state(app, env):
    """The notebooks' saved widget state is of no use without a widget manager, and it holds every demo's
    picture a second time: MyST-NB would inline it into each page (about half of a page's weight)."""
    for data in getattr(env, "nb_metadata", {}).values():
        data.get("js_files", {}).pop("ipywidgets_state", None)


def _output_alts(app) -> dict[str, str]:
    """The alt text of every saved image output, by the sha256 of its bytes (MyST-NB's name for its file)."""
    if not hasattr(app, "_tll_output_alts"):
        import base64
        import hashlib
        import json

        alts = {}
        for path in Path(app.srcdir).rglob("*.ipynb"):
            if ".ipynb_checkpoints" in path.relative_to(app.srcdir).parts:
                continue
            for cell in json.loads(path.read_text()).get("cells", []):
                for out in cell.get("outputs", []):
                    for mime in ("image/png", "image/jpeg"):
                        alt = out.get("metadata", {}).get(mime, {}).get("alt")
                        if alt and mime in out.get("data", {}):
                            data = base64.b64decode(out["data"][mime])
                            alts[hashlib.sha256(data).hexdigest()] = alt
        app._tll_output_alts = alts
    return app._tll_output_alts


def _image_alt_text(app, doctree, docname):
    """MyST-NB takes an image output's width and height from its metadata, but not its alt text
    (myst_nb/core/render.py, render_image): give every output picture the alt its notebook saved."""
    from docutils import nodes

    alts = _output_alts(app)
    for node in doctree.findall(nodes.image):
        alt = alts.get(Path(node.get("uri", "")).stem)
        if alt and not node.get("alt"):
            node["alt"] = alt


def setup(app):
    app.connect("doctree-resolved", _image_alt_text)  # after MyST-NB has chosen each output's mime type
    app.connect("env-updated", _drop_widget_state)
    app.connect("html-page-context", _launch_buttons, priority=502)  # after the theme's own header buttons
    app.connect("build-finished", _copy_mathjax)
