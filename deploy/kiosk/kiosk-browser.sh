#!/bin/sh
# Chromium in kiosk mode on the touch screen: full screen, incognito (no history, no form data kept),
# no pinch zoom, no translate bar; started again whenever it is closed or crashes.
# Run from the kiosk user's graphical session (see kiosk-browser.desktop).
URL="${KIOSK_URL:-http://127.0.0.1:5050/}"
PROFILE="$(mktemp -d /tmp/kiosk-browser.XXXXXX)"
trap 'rm -rf "$PROFILE"' EXIT
# Wait for the kiosk app before the first start, so the screen never shows an error page.
until curl -fsS -o /dev/null "$URL"; do sleep 2; done
while true; do
  chromium --kiosk --incognito --no-first-run --disable-translate --disable-features=Translate \
    --disable-pinch --overscroll-history-navigation=0 --disable-session-crashed-bubble \
    --noerrdialogs --check-for-update-interval=31536000 --autoplay-policy=no-user-gesture-required \
    --user-data-dir="$PROFILE" "$URL"
  sleep 2
done
