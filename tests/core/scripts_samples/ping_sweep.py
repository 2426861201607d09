"""Ping every address in a /24 and list the ones that answer (Windows or Linux ping)."""

import ipaddress
import platform
import subprocess
from concurrent.futures import ThreadPoolExecutor

NETWORK = ipaddress.ip_network("{{subnet}}/24", strict=False)
COUNT_FLAG = "-n" if platform.system() == "Windows" else "-c"


def alive(address):
    result = subprocess.run(
        ["ping", COUNT_FLAG, "1", str(address)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return address if result.returncode == 0 else None


with ThreadPoolExecutor(max_workers=32) as pool:
    for address in filter(None, pool.map(alive, NETWORK.hosts())):
        print(address)
