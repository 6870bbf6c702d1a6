"""``tz-license`` / ``python -m ticketzero_license``: the guide's debug commands for an installation.

Commands, options, environment and exit codes as docs/AIR-GAPPED.md ("CLI (both languages)"):
0 valid / done, 1 not valid or refused, 2 usage error, 3 server unreachable and no valid offline answer.
"""
from __future__ import annotations

import base64
import json
import os
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, TextIO, Tuple

from .certificate import parse_iso
from .client import LicenseManager, normalise_feature
from .errors import LicenseError
from .features import FEATURE_NAMES
from .http import UnreachableError

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

USAGE = """TicketZero installation CLI (Python)

Usage: tz-license <command> [options]      (or: python -m ticketzero_license <command> [options])

Commands:
  status                  Full license status (server, offline from the cache, or the license file)
  validate                Validate the license (exit 0 when valid)
  activate                Activate this installation
  deactivate              Free this installation's activation slot
  features [NAME]         List features, or check one (exit 0 when granted)
  limits                  Usage limits
  offline-request [--out FILE]
                          Air-gapped: write an activation request file (default
                          ./tz-activation-request.json; --out - prints it) to upload in the portal
  offline-import FILE     Air-gapped: import the license file the portal answered
  offline-deactivate      Air-gapped: delete the license file and print the signed deactivation code

Options:
  --server URL            License server (env TZ_SERVER_URL, default http://localhost:3000)
  --key KEY               License key (env TZ_LICENSE_KEY)
  --data-dir DIR          Where instance-id and license.json live (env TZ_DATA_DIR, default ./.tz-installation)
  --instance-id ID        Use this instance id instead of the stored/generated one
  --name NAME             Instance name sent at activation (default: the host name)
  --grace-days N          Offline grace period (default 7)
  --jwks FILE             Trust these signing keys (a JWKS file; env TZ_JWKS_FILE)
  --trust-on-first-use    Development only: trust the keys the server publishes at first contact
                          (env TZ_TRUST_ON_FIRST_USE=1); the cache key may also mix in env TZ_CACHE_SECRET
  --json                  Machine-readable output
  -h, --help              This help

Exit codes: 0 valid / done, 1 not valid or refused, 2 usage error, 3 server unreachable
and no valid offline answer.
"""

DEFAULT_REQUEST_FILE = "tz-activation-request.json"


def _padded(part: str) -> str:
    return part + "=" * (-len(part) % 4)


VALUE_OPTIONS = {"server", "key", "data-dir", "instance-id", "name", "grace-days", "jwks", "out"}
FLAG_OPTIONS = {"trust-on-first-use", "json", "help"}


class UsageError(Exception):
    pass


def parse_args(argv: Sequence[str]) -> Tuple[Dict[str, Any], List[str]]:
    values: Dict[str, Any] = {}
    positionals: List[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            positionals.extend(argv[i + 1 :])
            break
        if arg in ("-h", "--help"):
            values["help"] = True
        elif arg.startswith("--"):
            name, eq, inline = arg[2:].partition("=")
            if name in FLAG_OPTIONS and not eq:
                values[name] = True
            elif name in VALUE_OPTIONS:
                if eq:
                    values[name] = inline
                else:
                    if i + 1 >= len(argv) or argv[i + 1].startswith("--"):
                        raise UsageError(f"Option --{name} needs a value")
                    i += 1
                    values[name] = argv[i]
            else:
                raise UsageError(f"Unknown option: {arg}")
        elif arg.startswith("-") and arg != "-":
            raise UsageError(f"Unknown option: {arg}")
        else:
            positionals.append(arg)
        i += 1
    return values, positionals


def _date(value: Any) -> str:
    when = parse_iso(value)
    if when is None:
        return str(value) if value else "-"
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _bar(used: float, maximum: float, width: int = 24) -> str:
    if maximum <= 0:
        return "[" + "-" * width + "]"
    filled = round(max(0.0, min(1.0, used / maximum)) * width)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def _pct(used: float, maximum: float) -> str:
    return f"{round(used / maximum * 100)}%" if maximum > 0 else "n/a"


def _air_gapped(s: Mapping[str, Any]) -> bool:
    return any(isinstance(w, dict) and w.get("code") == "AIR_GAPPED" for w in s.get("warnings") or [])


def _unreachable(s: Mapping[str, Any]) -> bool:
    """Not valid because the server could not be reached (the offline fallback answered no)."""
    return not s.get("valid") and any(
        isinstance(w, dict) and w.get("code") == "OFFLINE" for w in s.get("warnings") or []
    )


def render_status(s: Mapping[str, Any], server: str, instance_id: str) -> str:
    lines: List[str] = []
    if _air_gapped(s):
        mode = "AIR-GAPPED (answered from the imported license file)"
    elif s.get("offline"):
        mode = (
            "OFFLINE (server unreachable; answered from the cached certificate)"
            if s.get("certificate")
            else "OFFLINE (server unreachable)"
        )
    else:
        mode = "online"
    activation = s.get("activation") if isinstance(s.get("activation"), dict) else None
    lines.append(f"TicketZero license status — {mode}")
    lines.append(f"  Server:       {server}")
    lines.append(
        f"  Instance:     {instance_id}"
        + (f" (activated {_date(activation.get('activatedAt'))})" if activation else " (not activated)")
    )
    lines.append(f"  Result:       {'VALID' if s.get('valid') else 'INVALID'} — {s.get('code')} [{s.get('status')}]")
    lines.append(f"  Message:      {s.get('message')}")
    lic = s.get("license") if isinstance(s.get("license"), dict) else None
    if lic:
        lines.append(f"  License:      {lic.get('key') or '(key not cached)'}  {lic.get('planName')} ({lic.get('plan')})")
        lines.append(f"  Issued:       {_date(lic.get('issuedAt'))}")
        lines.append(f"  Expires:      {_date(lic.get('expiresAt'))}  ({lic.get('daysRemaining')} days left)")
    if s.get("offline"):
        lines.append(f"  Last contact: {_date(s.get('lastServerContact'))}")
        lines.append(f"  Offline to:   {_date(s.get('offlineValidUntil'))}")
    limits = s.get("limits") if isinstance(s.get("limits"), dict) else None
    if limits:
        u = s.get("usage") if isinstance(s.get("usage"), dict) else None
        suffix = f" ({u.get('period')}{', as of last contact' if s.get('offline') and not _air_gapped(s) else ''})" if u else ""
        lines.append(f"  Usage{suffix}:")

        def row(label: str, used: Optional[int], maximum: int) -> str:
            if used is None:
                return f"    {label:<12} limit {maximum}"
            return f"    {label:<12} {_bar(used, maximum)} {used:>6} / {maximum:<6} {_pct(used, maximum)}"

        lines.append(row("Tickets", u.get("ticketsThisMonth") if u else None, limits.get("maxTicketsPerMonth", 0)))
        lines.append(row("Clients", u.get("clients") if u else None, limits.get("maxClients", 0)))
        lines.append(row("Activations", u.get("activations") if u else None, limits.get("maxActivations", 0)))
    slots = s.get("slots") if isinstance(s.get("slots"), dict) else None
    if slots:
        held = f", {slots.get('held')} held by deactivated installations" if slots.get("held") else ""
        nxt = (
            f"; next frees by {_date(slots.get('nextFreesAt'))}"
            if slots.get("nextFreesAt") and slots.get("used", 0) >= slots.get("max", 0)
            else ""
        )
        lines.append(
            f"  Slots:        {slots.get('used')} of {slots.get('max')} taken{held}; "
            f"{slots.get('swapsLeft')} of {slots.get('swapsPer30Days')} swaps left this 30 days{nxt}"
        )
    rep = s.get("replacement") if isinstance(s.get("replacement"), dict) else None
    if rep:
        lines.append(
            f"  Replaced by:  {rep.get('key')} ({rep.get('planName')}); this key works until {_date(rep.get('graceEndsAt'))}"
        )
    features = s.get("features") or []
    if features:
        lines.append(f"  Features ({len(features)}):")
        for f in features:
            lines.append(f"    + {f.get('name')} ({f.get('key')})")
    warnings = s.get("warnings") or []
    if warnings:
        lines.append("  Warnings:")
        for w in warnings:
            lines.append(f"    ! {w.get('code')}: {w.get('message')}")
    up = s.get("upgrade") if isinstance(s.get("upgrade"), dict) else None
    if up:
        lines.append(f"  Upgrade:      {up.get('plan')} — {up.get('reason')}")
    return "\n".join(lines)


def _exit_for(s: Mapping[str, Any]) -> int:
    if s.get("valid"):
        return EXIT_OK
    return EXIT_UNREACHABLE if _unreachable(s) else EXIT_INVALID


def main(argv: Optional[Sequence[str]] = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        values, positionals = parse_args(args)
    except UsageError as err:
        print(f"{err}\n\n{USAGE}", file=stderr)
        return EXIT_USAGE
    command = positionals[0] if positionals else None
    if values.get("help") or not command:
        print(USAGE, file=stdout if values.get("help") else stderr)
        return EXIT_OK if values.get("help") else EXIT_USAGE
    known = {"status", "validate", "activate", "deactivate", "features", "limits", "offline-request", "offline-import", "offline-deactivate"}
    if command not in known:
        print(f"Unknown command: {command}\n\n{USAGE}", file=stderr)
        return EXIT_USAGE
    json_out = values.get("json") is True

    def out(data: Any, text: str) -> None:
        print(json.dumps(data, indent=2) if json_out else text, file=stdout)

    env = os.environ
    server = values.get("server") or env.get("TZ_SERVER_URL") or "http://localhost:3000"
    key = values.get("key") or env.get("TZ_LICENSE_KEY")
    if not key:
        print("A license key is required: --key KEY or TZ_LICENSE_KEY", file=stderr)
        return EXIT_USAGE
    grace_days: Optional[float] = None
    if values.get("grace-days") is not None:
        try:
            grace_days = float(values["grace-days"])
        except ValueError:
            grace_days = -1
        if not grace_days >= 0:
            print("--grace-days must be a non-negative number", file=stderr)
            return EXIT_USAGE
    jwks_file = values.get("jwks") or env.get("TZ_JWKS_FILE")
    jwks: Optional[Dict[str, Any]] = None
    if jwks_file:
        try:
            with open(jwks_file, "r", encoding="utf-8") as fh:
                jwks = json.load(fh)
        except (OSError, ValueError) as err:
            print(f"--jwks {jwks_file}: {err}", file=stderr)
            return EXIT_USAGE
    tofu = values.get("trust-on-first-use") is True or env.get("TZ_TRUST_ON_FIRST_USE") in ("1", "true")
    try:
        manager = LicenseManager(
            server_url=server,
            license_key=key,
            data_dir=values.get("data-dir") or env.get("TZ_DATA_DIR") or "./.tz-installation",
            instance_id=values.get("instance-id"),
            instance_name=values.get("name"),
            jwks=jwks,
            trust_on_first_use=tofu,
            cache_secret=env.get("TZ_CACHE_SECRET") or None,
            grace_days=7 if grace_days is None else grace_days,
            timeout=8.0,
            max_retries=2,
        )
    except (ValueError, OSError) as err:
        print(f"{err}\n(use --jwks FILE, or --trust-on-first-use for development)", file=stderr)
        return EXIT_USAGE

    try:
        return _run(command, positionals, values, manager, server, out, stdout, stderr)
    except LicenseError as err:
        if json_out:
            print(json.dumps({"error": {"code": err.code, "message": err.message}}, indent=2), file=stdout)
        else:
            print(f"Error ({err.code}): {err.message}", file=stderr)
        return EXIT_UNREACHABLE if isinstance(err, UnreachableError) else EXIT_INVALID


def _run(
    command: str,
    positionals: List[str],
    values: Mapping[str, Any],
    client: LicenseManager,
    server: str,
    out: Any,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    if command == "status":
        s = client.get_license_status()
        out({"instanceId": client.instance_id, **s}, render_status(s, server, client.instance_id))
        return _exit_for(s)
    if command == "validate":
        s = client.get_license_status()
        r = {"valid": s["valid"], "message": s["message"], "code": s["code"]}
        out(r, f"{'VALID' if r['valid'] else 'INVALID'} ({r['code']}): {r['message']}")
        return _exit_for(s)
    if command == "limits":
        s = client.get_license_status()
        limits = client.get_usage_limits()
        camel = {
            "maxClients": limits["max_clients"],
            "maxTicketsPerMonth": limits["max_tickets_per_month"],
            "maxActivations": limits["max_activations"],
        }
        text = (
            f"Max clients:            {camel['maxClients']}\n"
            f"Max tickets per month:  {camel['maxTicketsPerMonth']}\n"
            f"Max activations:        {camel['maxActivations']}"
            + ("" if s["valid"] else f"\n(license not valid: {s['code']})")
        )
        out({"valid": s["valid"], "code": s["code"], "limits": camel}, text)
        return _exit_for(s)
    if command == "activate":
        r = client.activate()
        s = client.get_license_status()
        v = {"valid": s["valid"], "message": s["message"], "code": s["code"]}
        activation = r.get("activation") if isinstance(r.get("activation"), dict) else None
        out(
            {"instanceId": client.instance_id, "activation": activation, "validation": v},
            f"Activated instance {client.instance_id}"
            + (f" at {_date(activation.get('activatedAt'))}" if activation else "")
            + f"\n{'VALID' if v['valid'] else 'INVALID'} ({v['code']}): {v['message']}",
        )
        return _exit_for(s)
    if command == "deactivate":
        body = client.deactivate()
        out({"instanceId": client.instance_id, "result": body}, f"Deactivated instance {client.instance_id}")
        return EXIT_OK
    if command == "features":
        s = client.get_license_status()
        wanted = positionals[1] if len(positionals) > 1 else None
        if wanted:
            granted = client.check_feature_access(wanted)
            out(
                {"feature": wanted, "granted": granted, "valid": s["valid"], "code": s["code"]},
                f"{wanted}: {'granted' if granted else 'not granted'}"
                + ("" if s["valid"] else f" (license not valid: {s['code']})"),
            )
            if granted:
                return EXIT_OK
            return EXIT_UNREACHABLE if _unreachable(s) else EXIT_INVALID
        have = {normalise_feature(f["key"]) for f in s["features"]} if s["valid"] else set()
        catalog = [{"key": k, "name": n, "granted": k in have} for k, n in FEATURE_NAMES.items()]
        for f in s["features"]:
            if f["key"] not in FEATURE_NAMES:
                catalog.append({"key": f["key"], "name": f.get("name") or f["key"], "granted": bool(s["valid"])})
        lic = s.get("license") if isinstance(s.get("license"), dict) else None
        head = (
            f"Features for {lic.get('planName') if lic else 'this license'}"
            + (" (offline)" if s.get("offline") else "")
            + ("" if s["valid"] else f" — license not valid: {s['code']}")
            + ":"
        )
        text = "\n".join([head] + [f"  [{'x' if f['granted'] else ' '}] {f['name']:<24} {f['key']}" for f in catalog])
        out({"valid": s["valid"], "code": s["code"], "features": catalog}, text)
        return _exit_for(s)
    if command == "offline-request":
        # As the TypeScript CLI: a file by default, `--out -` prints the request instead.
        target = values.get("out") or DEFAULT_REQUEST_FILE
        try:
            text = client.write_activation_request(None if target == "-" else target)
        except OSError as err:
            # The file could not be written (a missing directory, no permission): nothing changed.
            reason = err.strerror or str(err)
            print(
                f"Cannot write the activation request {target}: {reason}\nNothing was changed; choose another --out FILE.",
                file=stderr,
            )
            return EXIT_USAGE
        if target == "-":
            stdout.write(text)
            return EXIT_OK
        payload = json.loads(base64.urlsafe_b64decode(_padded(json.loads(text)["request"])))
        out(
            {"path": os.path.abspath(target), "request": payload},
            f"Wrote the activation request {os.path.abspath(target)} for instance {client.instance_id} ({payload['keyPrefix']}).\n"
            "Upload it in the Admin Panel → License & Billing, then run: tz-license offline-import <license file>",
        )
        return EXIT_OK
    if command == "offline-import":
        if len(positionals) < 2:
            print(f"offline-import needs the license file: tz-license offline-import FILE\n\n{USAGE}", file=stderr)
            return EXIT_USAGE
        path = positionals[1]
        try:
            with open(path, "r", encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as err:
            print(f"Cannot read {path}: {err}", file=stderr)
            return EXIT_USAGE
        s = client.import_license_file(text)
        out(
            {"instanceId": client.instance_id, **s},
            f"Imported {path}\n{render_status(s, '(none: air-gapped)', client.instance_id)}",
        )
        return EXIT_OK if s["valid"] else EXIT_INVALID
    if command == "offline-deactivate":
        code = client.deactivate_offline()
        payload = json.loads(base64.urlsafe_b64decode(_padded(code.split(".")[1])))
        out(
            {"code": code, "payload": payload},
            "The license file is deleted. Enter this deactivation code in the Admin Panel → License & Billing to free the slot:\n\n"
            f"{code}\n",
        )
        return EXIT_OK
    print(f"Unknown command: {command}\n\n{USAGE}", file=stderr)
    return EXIT_USAGE
