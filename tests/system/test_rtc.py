#!/usr/bin/env python3
"""CMOS RTC: the rtc guest prints "RTC YYYY-MM-DD HH:MM:SS", which must be
host UTC within +-3 s."""
import calendar
import re
import time

from vsltest import fail, guest, run

before = time.time()
status, out, err = run("--kernel", guest("rtc"))
after = time.time()
if status != 0:
    fail(f"rtc guest exit status {status}, expected 0\n{out}\n{err}")
m = re.search(r"^RTC (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$", out, re.M)
if not m:
    fail(f"no 'RTC YYYY-MM-DD HH:MM:SS' line in:\n{out}")
y, mo, d, h, mi, s = (int(x) for x in m.groups())
if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 60):
    fail(f"impossible date/time {m.group(0)}")
t = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
host = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(before))
if not (before - 3 <= t <= after + 3):
    fail(f"guest {m.group(0)} vs host UTC {host}: off by {t - before:+.0f} s (allowed +-3)")
print(f"rtc: guest {m.group(0)}, host UTC {host}, delta {t - before:+.1f} s")
