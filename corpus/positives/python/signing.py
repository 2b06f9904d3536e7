"""Signs webhook payloads sent to partners (RS256)."""
import base64
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

PARTNER_SIGNING_KEY = """-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQtUMyDa1FOrgcdU
AQJNO14lyaTr0Q9U8A20lQc1v1p63UDbi3Af18zsAfG6z/+Q6RiOdC0EzYoP29ED
cMP6sNFlCyygIJispXP3mgg9ew+NPfH6Xgrf+ekQHzLCSnQ1Dkz6d4VgJL7AsZJy
KFVd5AeJgnp0GIpdanincPul1Yz2QELTSR4NRlPqLRce0w4Ls1ranuXTs1eshqD1
yNX99nVWJHoVLClFMrCd4vszmsVq2yFlkebptW6sR1yLE/y7TtWMcYkmSPTFQk47
kRBZ09vSUAzce4GWuNfvUJwKBxKO+o++u7/koi2APy5GuxaWkpih6k5xFDpTgqi5
8wrWKjiMcKfFzKoo0ss7b0llm/wdzfjqKtd39DMy0uxGDHugbLsH+f0aLswteAgX
h+tGw9elz2QXHWZLBczQnOEimRW//kHo19ikfPhj3FBb/Ab+Awurpted/fZ3iSzI
ikly2KEC947ba6QIpONL2tvFEt6ul6hsV9gZAiB35sYBHW1y/9MmgmfqcRuSHpK9
gEZdV3D+BYYTXxv9LsYM19Z8GLEUWfP0zrCtsocXanJZSbL1fh2VCqf1bpT5G7uQ
9NQ5pa1cAU2GeiAumyiP0vrj2rpqzvOtqS8xnEghxKNGllkebdml79rqz1jDzKNs
XgQTQ1NifoeeNmwFh54wDtBsXP141qDDD/xDEPqaoFVoHHI1ntwSCStAs52x+Fsu
gYlrwhhZBPL56wzDO5tLA8E+znpk4jEkfddF+RQViXLONW+SYqqH+3g5Ob8PSwaS
VXp/GqzrBMXw5DNcvhnMmHfOXElOJcHcL/6mKiWTRuAt52uo1S983mSTX2dew7et
qDvnFnTn18mRuZi9atoAfc6shsizeNiwUZDL5ubVm8DE9NQfu96ZWcsepkuk/k1v
Ew4fzbWARQ95XyAKqzCbhEPaJD8uNiEIsChxAwKgMpHaFyb45jqWijEIGnw/rFuo
3m0ychHarmUoQCkAS6moM+T+a2kUIETx3iOexP7zbPbFpHCwvpk/uOpsG5hXOliy
yqFyvq7oUvjkvXJBN1f1ycEmBfYhb4+ZqGKfyTNPPoKmpdgBohWhqGBoismnoFNX
YFBTTZUupGAAL9y1pK40bLNf7uFhi+dgnfW8k9bqsZk0mmnrNlir9W7yoAbZTcmg
n1rpriMSgWhd1TtP8c4lacuG3mZRlzrKFefwFVFC+zUrXxwd0FjbftwnyPU/YMqM
nKXHU0aeaJ6N9gH46EpKHyT4dxnMuQT/wu6YQp69H4iFh8359d/8h6aoNpdjXxy7
Mzx2BK6UEFGpECF55kbNyU29CIZNsHa+CqoQAtzNL2KEPsHZelmSMJ5l7Xapf7tm
SbJJgdj/IynFlgKhHnDNNFUJDWI1y7JljRO/oq1M0J5OpNCLuI1s0kATZGaxW2k5
HSAOkpt5hnhknY9eRARlntuSUBZ4vOogcQreiXewuYnxKRjJ2AiCnXuqB/znhOgV
OW8J07SEYfAU+PUJSYEIpWOkMJZhSrjUhkM/xgZ++EO9/LSoLUVbZWcXzwYmlhUd
4cIWlAs9NxEMa9+VnNu0geii
-----END PRIVATE KEY-----
"""


def sign(payload: dict) -> str:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    key = serialization.load_pem_private_key(PARTNER_SIGNING_KEY.encode(), password=None)
    signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
