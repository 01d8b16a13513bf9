#!/bin/sh
# Install Leadgate for the current user: the app in ~/.local/lib/leadgate, the `leadgate`
# command in ~/.local/bin, the launcher in the applications menu, icons in the hicolor theme.
#
#     ./install.sh              install (or upgrade: the previous version is replaced)
#     ./install.sh --uninstall  remove all of that (your data and backups stay where they are)
#
# XDG_DATA_HOME and PREFIX (default ~/.local) move where things go.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-$HOME/.local}
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
APP_DIR=$PREFIX/lib/leadgate
BIN_DIR=$PREFIX/bin
SIZES="16 24 32 48 64 128 256 512"
METAINFO=io.github.leadgate.Leadgate.metainfo.xml

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$DATA/applications" || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" || true
    fi
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$APP_DIR"
    rm -f "$BIN_DIR/leadgate" "$DATA/applications/leadgate.desktop" "$DATA/metainfo/$METAINFO"
    for size in $SIZES; do rm -f "$DATA/icons/hicolor/${size}x${size}/apps/leadgate.png"; done
    rm -f "$DATA/icons/hicolor/scalable/apps/leadgate.svg"
    refresh_caches
    echo "Leadgate removed. Your stores and backups are kept (Help > About Leadgate shows where)."
    exit 0
fi

# A new copy beside the old one, then swapped in: a failed copy leaves the old install working.
mkdir -p "$PREFIX/lib" "$BIN_DIR" "$DATA/applications" "$DATA/metainfo"
rm -rf "$APP_DIR.new"
cp -R "$HERE/leadgate" "$APP_DIR.new"
rm -rf "$APP_DIR.old"
if [ -d "$APP_DIR" ]; then mv "$APP_DIR" "$APP_DIR.old"; fi
mv "$APP_DIR.new" "$APP_DIR"
rm -rf "$APP_DIR.old"
ln -sf "$APP_DIR/leadgate" "$BIN_DIR/leadgate"

# The launcher runs the installed executable by its full path: ~/.local/bin may not be on
# the PATH a desktop session starts applications with.
sed -e "s|^Exec=leadgate|Exec=$APP_DIR/leadgate|" -e "s|^TryExec=leadgate|TryExec=$APP_DIR/leadgate|" \
    "$HERE/share/applications/leadgate.desktop" > "$DATA/applications/leadgate.desktop"
cp "$HERE/share/metainfo/$METAINFO" "$DATA/metainfo/$METAINFO"
for size in $SIZES; do
    mkdir -p "$DATA/icons/hicolor/${size}x${size}/apps"
    cp "$HERE/share/icons/hicolor/${size}x${size}/apps/leadgate.png" \
        "$DATA/icons/hicolor/${size}x${size}/apps/leadgate.png"
done
mkdir -p "$DATA/icons/hicolor/scalable/apps"
cp "$HERE/share/icons/hicolor/scalable/apps/leadgate.svg" "$DATA/icons/hicolor/scalable/apps/"
refresh_caches

echo "Leadgate installed: $APP_DIR"
echo "Start it from your applications menu, or run: $BIN_DIR/leadgate"
