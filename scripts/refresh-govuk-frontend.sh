#!/usr/bin/env bash
# Refresh the vendored GOV.UK Frontend assets in assess/static/govuk/.
#
# The Python package govuk-frontend-jinja 3.10.0 renders the markup of
# GOV.UK Frontend 5.14.0, so the CSS/JS served must come from that same
# release. This service is NOT on GOV.UK, so the build is unbranded:
#   - font stack "arial, sans-serif": no GDS Transport, no @font-face, no fonts
#   - no crown or crest: the footer crest is compiled out (see
#     scripts/govuk-frontend.scss) and no files from dist/govuk/assets/images
#     or dist/govuk/assets/rebrand are copied, because every one of them
#     (favicon.ico/.svg, govuk-icon-*.png, govuk-icon-mask.svg,
#     govuk-opengraph-image.png, govuk-crest.svg) is the crown or the crest.
#
# Output (all generated; do not edit by hand):
#   assess/static/govuk/govuk-frontend.min.css  compiled from scripts/govuk-frontend.scss
#   assess/static/govuk/govuk-frontend.min.js   ES module bundle, copied from the package
#   assess/static/govuk/VERSION                 "govuk-frontend 5.14.0"
#
# Needs node + npm and access to the npm registry. Usage, from anywhere:
#   bash scripts/refresh-govuk-frontend.sh
# To move to another release, change GOVUK_FRONTEND_VERSION here *and* the
# govuk-frontend-jinja pin together (its README lists the matching release).
set -euo pipefail

GOVUK_FRONTEND_VERSION="5.14.0"
# Dart Sass 1.x: 2.0 drops @import, which GOV.UK Frontend 5.x relies on.
# Pinned so rebuilds are reproducible; override with SASS_VERSION=... if needed.
SASS_VERSION="${SASS_VERSION:-1.108.2}"

# Paths relative to the repository root (this script lives in scripts/).
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scss_entry="$repo_root/scripts/govuk-frontend.scss"
out_dir="$repo_root/assess/static/govuk"

# Work in a throwaway folder so nothing npm-related lands in the repository.
work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT

# A package.json stops npm from walking up to some parent project's folder.
echo '{"private": true}' >"$work_dir/package.json"

echo "Installing govuk-frontend@$GOVUK_FRONTEND_VERSION and sass@$SASS_VERSION ..."
(
  cd "$work_dir"
  npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
    "govuk-frontend@$GOVUK_FRONTEND_VERSION" "sass@$SASS_VERSION"
)

pkg="$work_dir/node_modules/govuk-frontend"
dist="$pkg/dist/govuk"

# Make sure npm gave us exactly the release we asked for.
installed_version="$(node -p "require('$pkg/package.json').version")"
if [[ "$installed_version" != "$GOVUK_FRONTEND_VERSION" ]]; then
  echo "Expected govuk-frontend $GOVUK_FRONTEND_VERSION, got $installed_version" >&2
  exit 1
fi

# Start from an empty output folder so files from an older release don't linger.
rm -rf "$out_dir"
mkdir -p "$out_dir"

# Compile the CSS. --load-path lets the entry say "govuk-frontend/dist/...";
# --quiet-deps hides GOV.UK Frontend's own Sass deprecation warnings, and
# --silence-deprecation=import hides the one for our own @import line.
echo "Compiling $scss_entry ..."
"$work_dir/node_modules/.bin/sass" \
  --load-path="$work_dir/node_modules" \
  --style=compressed \
  --no-source-map \
  --quiet-deps \
  --silence-deprecation=import \
  "$scss_entry" "$out_dir/govuk-frontend.min.css"

# Copy the JavaScript: the ES module bundle that exports initAll/createAll.
# Its source map is not vendored, so drop the comment that points to it (it
# would only cause a 404 in browser dev tools).
sed '/^\/\/# sourceMappingURL=/d; s#//\# sourceMappingURL=govuk-frontend\.min\.js\.map$##' \
  "$dist/govuk-frontend.min.js" >"$out_dir/govuk-frontend.min.js"

echo "govuk-frontend $GOVUK_FRONTEND_VERSION" >"$out_dir/VERSION"

# Sanity checks on what we produced.
css="$out_dir/govuk-frontend.min.css"
js="$out_dir/govuk-frontend.min.js"
for banned in "GDS Transport" "@font-face" "govuk-crest" "/assets/fonts/"; do
  if grep -qF "$banned" "$css"; then
    echo "Compiled CSS unexpectedly contains '$banned'" >&2
    exit 1
  fi
done
if ! grep -qF "arial,sans-serif" "$css"; then
  echo "Compiled CSS does not use the arial, sans-serif font stack" >&2
  exit 1
fi
if ! grep -qF "const version=\"$GOVUK_FRONTEND_VERSION\"" "$js" \
  || ! grep -qE 'export\{[^}]*initAll' "$js"; then
  echo "govuk-frontend.min.js is not the $GOVUK_FRONTEND_VERSION ES module bundle" >&2
  exit 1
fi

echo "Wrote:"
ls -l "$out_dir"
