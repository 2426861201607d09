"""Realistic MSP snippets for the scrubber, each with the exact secret values it holds.

Vendor-shaped tokens are assembled from pieces so that repository secret scanners do not flag
this file; every value here is made up (AWS's are the documentation examples).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    secrets: tuple[tuple[str, str], ...] = ()  # (value, kind); empty: must come back unchanged


def _b64(start: int, size: int) -> str:
    return base64.b64encode(bytes((start + i * 7) % 256 for i in range(size))).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# --- made-up credentials -------------------------------------------------------------------

AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
AWS_SESSION = "FwoGZXIvYXdzEBYaDH" + "k2bXlTZXNzaW9uVG9rZW4iLVJhbmRvbUZha2VEYXRhQmxvYg"
AZURE_ACCOUNT_KEY = _b64(3, 64)
AZURE_BUS_KEY = _b64(101, 32)
AZURE_SIG = quote(_b64(57, 32), safe="")
AZURE_CLIENT_SECRET = "Xy7" + "8Q~" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123.4_5"
GCP_API_KEY = "AIza" + "SyD4fAkEkEy-0123456789abcdefGHIJKLm"
GCP_PRIVATE_KEY_JSON = (
    "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
    + "FAKEFAKEFAKE\\nq2ZvNnJ0bXlrZXlpc2Zha2U0dGVzdGluZ29ubHk=\\n-----END PRIVATE KEY-----\\n"
)
JWT = ".".join(
    (
        _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()),
        _b64url(json.dumps({"sub": "tech42", "name": "Helpdesk", "iat": 1709280000}).encode()),
        _b64url(bytes(range(40, 72))),
    )
)
GITHUB_TOKEN = "ghp" + "_x9Kd2LmQ7vTz4WbN8pRc1YsH6uJe3GfA5oVi"
GITHUB_PAT = (
    "github" + "_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01"
)
GITLAB_TOKEN = "glpat" + "-Ab12Cd34Ef56Gh78Ij90"
SLACK_BOT = "xoxb" + "-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_WEBHOOK = "https://hooks.slack.com/services/" + "T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx"
STRIPE_KEY = "sk" + "_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
SENDGRID_KEY = "SG" + ".AbCdEfGhIjKlMnOpQrStUv.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfG"
TWILIO_SID = "AC" + "0123456789abcdef0123456789abcdef"
ANTHROPIC_KEY = "sk-" + "ant-api03-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe" * 3 + "AbC-dE_fGhIA"
OPENAI_PROJECT_KEY = "sk-" + "proj-" + "Ab3De5Gh7Jk9Mn2Pq4St6Vw8Yz0Bc1Df3Gh5Jk7Lm9Np2Qr4"
OPENAI_LEGACY_KEY = "sk-" + "Ab3De5Gh7Jk9Mn2Pq4St" + "T3Blbk" + "FJ" + "Uv6Wx8Yz0Ab2Cd4Ef6Gh"
NPM_TOKEN = "npm" + "_Ab3De5Gh7Jk9Mn2Pq4St6Vw8Yz0Bc1Df3Gh5"
PYPI_TOKEN = (
    "pypi"
    + "-AgEIcHlwaS5vcmc"
    + "CJDFhYmNkZWYtMTIzNC00NTY3LTg5YWItY2RlZjAxMjM0NTY3AAIqWzMsImZha2UiXQAABiBmYWtlZmFrZWZha2VmYWtl"
)
TELEGRAM_TOKEN = "123456789" + ":AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
CONNECTWISE_BASIC = base64.b64encode(b"contoso+PubKey123:PrivKey456").decode()
RSA_BLOCK = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAuFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFA\n"
    "q2ZvNnJ0bXlrZXlpc2Zha2U0dGVzdGluZ29ubHlxMnZvTm5KMGJYbHJaWGxw\n"
    "-----END RSA PRIVATE KEY-----"
)
OPENSSH_BLOCK = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACBmYWtla2V5ZmFrZWtleWZha2VrZXlmYWtla2V5ZmFrZQAAAJg=\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
PUTTY_KEY = (
    "PuTTY-User-Key-File-3: ssh-ed25519\n"
    "Encryption: none\n"
    "Comment: helpdesk@jump01\n"
    "Public-Lines: 2\n"
    "AAAAC3NzaC1lZDI1NTE5AAAAIGZha2VrZXlmYWtla2V5ZmFrZWtleWZha2VrZXlm\n"
    "YWtl\n"
    "Private-Lines: 1\n"
    "AAAAIGZha2Vwcml2YXRla2V5ZmFrZXByaXZhdGVrZXlmYWtlcHJpdg==\n"
    "Private-MAC: 8f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0"
)
BITLOCKER_RECOVERY = "123456-234567-345678-456789-567890-678901-789012-890123"


CASES: tuple[Case, ...] = (
    # ---------------------------------------------------------------- with credentials
    Case(
        "appsettings_connection_string",
        """{
  "ConnectionStrings": {
    "Default": "Server=sql01.contoso.local;Database=PSA;User Id=svc_psa;Password=Tr0ub4dor&3x;TrustServerCertificate=True"
  },
  "Logging": { "LogLevel": { "Default": "Warning" } }
}""",
        (("Tr0ub4dor&3x", "password"),),
    ),
    Case(
        "odbc_dsn_braced_password",
        "Driver={ODBC Driver 17 for SQL Server};Server=tcp:sql02,1433;Uid=sa;"
        "Pwd={Qw3rty;Zx!};Encrypt=yes;",
        (("Qw3rty;Zx!", "password"),),
    ),
    Case(
        "web_config",
        """<configuration>
  <connectionStrings>
    <add name="Ledger" connectionString="Data Source=.\\SQLEXPRESS;Initial Catalog=Ledger;User ID=ledger;Password=L3dger!2024" providerName="System.Data.SqlClient" />
  </connectionStrings>
  <appSettings>
    <add key="SmtpUser" value="relay@contoso.com" />
    <add key="SmtpPassword" value="MailRelay#77" />
    <add key="SmtpPort" value="587" />
  </appSettings>
</configuration>""",
        (("L3dger!2024", "password"), ("MailRelay#77", "password")),
    ),
    Case(
        "jdbc_urls",
        "jdbc:sqlserver://db01:1433;databaseName=erp;user=erp_app;password=Erp4pp$ecure;\n"
        "jdbc:mysql://db02:3306/shop?user=shop&password=Sh0pP4ss&useSSL=true",
        (("Erp4pp$ecure", "password"), ("Sh0pP4ss", "password")),
    ),
    Case(
        "database_uris",
        "MONGO_URL=mongodb://backup:M0ng0Bkp!@mongo01.internal:27017/admin?authSource=admin\n"
        "REPORTS_DB=postgresql://report:pg_R3port_2024@pg01.contoso.local:5432/reports\n"
        "CACHE=redis://:R3disCache99@cache01:6379/0\n"
        "FTP_TARGET=ftp://scanner:Sc4n2Ftp@10.20.0.15/inbox",
        (
            ("M0ng0Bkp!", "password"),
            ("pg_R3port_2024", "password"),
            ("R3disCache99", "password"),
            ("Sc4n2Ftp", "password"),
        ),
    ),
    Case(
        "dotenv_file",
        f"""# RMM integration
DB_HOST=sql01.contoso.local
DB_PASSWORD=Sup3rS3cret!
AZURE_TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47
AZURE_CLIENT_ID=0f9e8d7c-6b5a-4321-9fed-cba987654321
AZURE_CLIENT_SECRET={AZURE_CLIENT_SECRET}
SMTP_PASS=Relay2024
DEBUG=false
""",
        (
            ("Sup3rS3cret!", "password"),
            (AZURE_CLIENT_SECRET, "azure-key"),
            ("Relay2024", "password"),
        ),
    ),
    Case(
        "net_use_history",
        r"""C:\Users\tech> net use Z: \\fs01\finance Fin@nce2024 /user:CONTOSO\jsmith /persistent:no
The command completed successfully.

C:\Users\tech> net use \\fs02\IPC$ /user:CONTOSO\svc_backup "B4ckup Pass!"
The command completed successfully.

C:\Users\tech> net use Y: \\fs01\scans * /user:CONTOSO\scanner
Type the password for \\fs01\scans:
""",
        (("Fin@nce2024", "password"), ("B4ckup Pass!", "password")),
    ),
    Case(
        "net_user_commands",
        "net user svc_kiosk K10sk!Pass /add /passwordchg:no\n"
        "net user jdoe * /domain\n"
        "net user administrator /active:yes\n",
        (("K10sk!Pass", "password"),),
    ),
    Case(
        "cmdkey",
        "cmdkey /add:TERMSRV/rds01.contoso.local /user:CONTOSO\\admin /pass:Rd$Adm1n2024\n"
        "cmdkey /generic:git:https://github.com /user:helpdesk /pass\n"
        "cmdkey /list",
        (("Rd$Adm1n2024", "password"),),
    ),
    Case(
        "schtasks",
        'schtasks /create /tn "Nightly Backup" /tr "C:\\Scripts\\backup.cmd" /sc daily '
        "/st 02:00 /ru CONTOSO\\svc_backup /rp N1ghtly#Bkp\n"
        "schtasks /query /s fs01 /u CONTOSO\\admin /p Sch3d!Remote /fo LIST /v",
        (("N1ghtly#Bkp", "password"), ("Sch3d!Remote", "password")),
    ),
    Case(
        "psexec_and_wmic",
        'psexec \\\\ws-042 -u CONTOSO\\helpdesk -p H3lpd3sk! -h cmd /c "ipconfig /flushdns"\n'
        'wmic /node:ws-017 /user:CONTOSO\\admin /password:Wm1c!Pass process call create "cmd.exe"',
        (("H3lpd3sk!", "password"), ("Wm1c!Pass", "password")),
    ),
    Case(
        "netdom_join",
        "netdom join WS-019 /domain:contoso.local /userd:CONTOSO\\joiner /passwordd:J01n#Domain "
        "/usero:WS-019\\Administrator /passwordo:L0cal#Adm /reboot:30",
        (("J01n#Domain", "password"), ("L0cal#Adm", "password")),
    ),
    Case(
        "powershell_pscredential",
        """$user = "CONTOSO\\svc_sync"
$secure = ConvertTo-SecureString 'Sync!Acct#2024' -AsPlainText -Force
$cred = New-Object System.Management.Automation.PSCredential($user, $secure)
Invoke-Command -ComputerName dc01 -Credential $cred -ScriptBlock { Get-Service ADSync }""",
        (("Sync!Acct#2024", "password"),),
    ),
    Case(
        "powershell_inline_pscredential",
        "$cred = New-Object System.Management.Automation.PSCredential('CONTOSO\\admin', "
        '(ConvertTo-SecureString "Adm1n#Pw" -AsPlainText -Force))\n'
        '"Pipe#Pass1" | ConvertTo-SecureString -AsPlainText -Force | Set-Variable pw',
        (("Adm1n#Pw", "password"), ("Pipe#Pass1", "password")),
    ),
    Case(
        "powershell_password_parameters",
        """New-LocalUser -Name "kiosk" -Password (ConvertTo-SecureString "K!osk2024" -AsPlainText -Force) -PasswordNeverExpires
Set-ADAccountPassword -Identity jdoe -Reset -NewPassword (ConvertTo-SecureString -AsPlainText "Welcome2024!" -Force)
Invoke-Sqlcmd -ServerInstance sql01 -Username sa -Password 'SqlSa#2024' -Query "SELECT 1"
Connect-Appliance -Server 10.0.0.5 -User admin -Password Pl41nText!""",
        (
            ("K!osk2024", "password"),
            ("Welcome2024!", "password"),
            ("SqlSa#2024", "password"),
            ("Pl41nText!", "password"),
        ),
    ),
    Case(
        "powershell_splat_hashtable",
        "$params = @{ SmtpServer = 'smtp.office365.com'; Port = 587; "
        "Password = 'Smtp#Relay9'; UseSsl = $true }",
        (("Smtp#Relay9", "password"),),
    ),
    Case(
        "rsa_private_key",
        f"Contents of C:\\certs\\vpn.key:\n{RSA_BLOCK}\n",
        ((RSA_BLOCK, "private-key"),),
    ),
    Case(
        "openssh_private_key",
        f"admin@jump01:~$ cat ~/.ssh/id_ed25519\n{OPENSSH_BLOCK}\nadmin@jump01:~$ ",
        ((OPENSSH_BLOCK, "private-key"),),
    ),
    Case("putty_key", f"{PUTTY_KEY}\n", ((PUTTY_KEY, "private-key"),)),
    Case(
        "aws_credentials_file",
        f"""[default]
aws_access_key_id = {AWS_KEY_ID}
aws_secret_access_key = {AWS_SECRET}
region = us-east-1
""",
        ((AWS_KEY_ID, "aws-key"), (AWS_SECRET, "aws-key")),
    ),
    Case(
        "aws_env_powershell",
        f'$env:AWS_ACCESS_KEY_ID="{AWS_KEY_ID}"; $env:AWS_SECRET_ACCESS_KEY="{AWS_SECRET}"\n'
        f'$env:AWS_SESSION_TOKEN="{AWS_SESSION}"\naws s3 ls s3://contoso-backups/',
        ((AWS_KEY_ID, "aws-key"), (AWS_SECRET, "aws-key"), (AWS_SESSION, "aws-key")),
    ),
    Case(
        "azure_storage_connection_string",
        "AzureWebJobsStorage=DefaultEndpointsProtocol=https;AccountName=contosobackups;"
        f"AccountKey={AZURE_ACCOUNT_KEY};EndpointSuffix=core.windows.net",
        ((AZURE_ACCOUNT_KEY, "azure-key"),),
    ),
    Case(
        "azure_sas_url",
        "azcopy copy C:\\Backups\\nightly.vbk "
        '"https://contosobackups.blob.core.windows.net/veeam?sv=2022-11-02&ss=b&srt=sco&sp=rwdlac'
        f'&se=2025-01-01T00:00:00Z&st=2024-01-01T00:00:00Z&spr=https&sig={AZURE_SIG}"',
        ((AZURE_SIG, "azure-key"),),
    ),
    Case(
        "azure_service_bus",
        "Endpoint=sb://contoso-bus.servicebus.windows.net/;SharedAccessKeyName="
        f"RootManageSharedAccessKey;SharedAccessKey={AZURE_BUS_KEY}",
        ((AZURE_BUS_KEY, "azure-key"),),
    ),
    Case(
        "gcp_service_account_json",
        json.dumps(
            {
                "type": "service_account",
                "project_id": "contoso-rmm",
                "private_key_id": "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
                "private_key": "PLACEHOLDER",
                "client_email": "backup@contoso-rmm.iam.gserviceaccount.com",
                "client_id": "104857600123456789012",
            },
            indent=2,
        ).replace('"PLACEHOLDER"', f'"{GCP_PRIVATE_KEY_JSON}"'),
        ((GCP_PRIVATE_KEY_JSON, "private-key"),),
    ),
    Case(
        "google_maps_key_in_script",
        f'<script src="https://maps.googleapis.com/maps/api/js?key={GCP_API_KEY}&callback=init">'
        "</script>",
        ((GCP_API_KEY, "gcp-key"),),
    ),
    Case(
        "jwt_and_bearer_in_log",
        f"""2024-03-01 10:22:13,481 DEBUG rmm.api GET https://api.contoso-rmm.com/v1/devices
2024-03-01 10:22:13,482 DEBUG rmm.api headers={{'Authorization': 'Bearer {JWT}', 'Accept': 'application/json'}}
2024-03-01 10:22:14,017 INFO rmm.api 200 OK (535 ms)""",
        ((JWT, "jwt"),),
    ),
    Case(
        "curl_bearer_and_basic",
        'curl -H "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0" '
        "https://api.itglue.com/organizations\n"
        f"Authorization: Basic {CONNECTWISE_BASIC}\n"
        "curl -u admin:Sw1tch#Admin http://10.0.0.2/api/config",
        (
            ("9f8e7d6c5b4a39281706f5e4d3c2b1a0", "token"),
            (CONNECTWISE_BASIC, "token"),
            ("Sw1tch#Admin", "password"),
        ),
    ),
    Case(
        "ai_api_keys",
        f"ANTHROPIC_API_KEY={ANTHROPIC_KEY}\n"
        f'client = OpenAI(api_key="{OPENAI_PROJECT_KEY}")\n'
        f"legacy_key = '{OPENAI_LEGACY_KEY}'",
        (
            (ANTHROPIC_KEY, "api-key"),
            (OPENAI_PROJECT_KEY, "api-key"),
            (OPENAI_LEGACY_KEY, "api-key"),
        ),
    ),
    Case(
        "git_remotes_with_tokens",
        f"git remote set-url origin https://x-access-token:{GITHUB_TOKEN}@github.com/contoso/rmm.git\n"
        f"git clone https://oauth2:{GITLAB_TOKEN}@gitlab.contoso.com/it/scripts.git\n"
        f"setx GH_TOKEN {GITHUB_PAT}",
        ((GITHUB_TOKEN, "api-key"), (GITLAB_TOKEN, "api-key"), (GITHUB_PAT, "api-key")),
    ),
    Case(
        "integrations_yaml",
        f"""slack:
  bot_token: {SLACK_BOT}
  webhook: {SLACK_WEBHOOK}
billing:
  stripe: {STRIPE_KEY}
mail:
  sendgrid_api_key: {SENDGRID_KEY}
sms:
  twilio_account_sid: {TWILIO_SID}
  twilio_auth_token: 0123456789abcdef0123456789abcdef
telegram:
  bot_token: "{TELEGRAM_TOKEN}"
""",
        (
            (SLACK_BOT, "token"),
            (SLACK_WEBHOOK, "token"),
            (STRIPE_KEY, "api-key"),
            (SENDGRID_KEY, "api-key"),
            (TWILIO_SID, "api-key"),
            ("0123456789abcdef0123456789abcdef", "token"),
            (TELEGRAM_TOKEN, "token"),
        ),
    ),
    Case(
        "npmrc_and_pypirc",
        f"//registry.npmjs.org/:_authToken={NPM_TOKEN}\n\n[pypi]\nusername = __token__\n"
        f"password = {PYPI_TOKEN}\n",
        ((NPM_TOKEN, "api-key"), (PYPI_TOKEN, "api-key")),
    ),
    Case(
        "netsh_wlan_key_clear",
        """PS C:\\> netsh wlan show profile name="Contoso-Guest" key=clear

Profile Contoso-Guest on interface Wi-Fi:
=======================================================================

Security settings
-----------------
    Authentication         : WPA2-Personal
    Cipher                 : CCMP
    Security key           : Present
    Key Content            : Guest!Wifi 2024

PS C:\\> netsh wlan set hostednetwork mode=allow ssid=Hotspot key=H0tsp0t!Key""",
        (("Guest!Wifi 2024", "wifi-key"), ("H0tsp0t!Key", "wifi-key")),
    ),
    Case(
        "wlan_profile_xml_and_wpa_supplicant",
        """<security>
  <authEncryption><authentication>WPA2PSK</authentication><encryption>AES</encryption></authEncryption>
  <sharedKey>
    <keyType>passPhrase</keyType>
    <protected>false</protected>
    <keyMaterial>Br4nch0ffice!</keyMaterial>
  </sharedKey>
</security>
network={
    ssid="Warehouse"
    psk="W4rehouse#Psk"
}""",
        (("Br4nch0ffice!", "wifi-key"), ("W4rehouse#Psk", "wifi-key")),
    ),
    Case(
        "unattend_xml",
        """<UserAccounts>
  <AdministratorPassword>
    <Value>L0calAdm!n</Value>
    <PlainText>true</PlainText>
  </AdministratorPassword>
</UserAccounts>
<AutoLogon>
  <Password>
    <Value>L0calAdm!n</Value>
    <PlainText>true</PlainText>
  </Password>
  <Enabled>true</Enabled>
  <Username>Administrator</Username>
</AutoLogon>""",
        (("L0calAdm!n", "password"),),
    ),
    Case(
        "registry_autologon",
        """C:\\> reg query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"

HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon
    AutoAdminLogon    REG_SZ    1
    DefaultUserName    REG_SZ    kiosk
    DefaultPassword    REG_SZ    Kiosk#Logon1
    Shell    REG_SZ    explorer.exe

PS C:\\> Set-ItemProperty -Path $winlogon -Name DefaultPassword -Value "Kiosk#Logon2"
""",
        (("Kiosk#Logon1", "password"), ("Kiosk#Logon2", "password")),
    ),
    Case(
        "sql_logins",
        "CREATE LOGIN [svc_reports] WITH PASSWORD = N'R3ports!2024', CHECK_POLICY = OFF;\n"
        "ALTER LOGIN sa WITH PASSWORD = 'Sa#Reset99';\n"
        "CREATE USER 'backup'@'localhost' IDENTIFIED BY 'Bkp#Mysql1';",
        (("R3ports!2024", "password"), ("Sa#Reset99", "password"), ("Bkp#Mysql1", "password")),
    ),
    Case(
        "database_cli",
        'sqlcmd -S sql01\\SQLEXPRESS -U sa -P "Sq1Cmd!Pw" -Q "BACKUP DATABASE [PSA] TO DISK=N\'D:\\psa.bak\'"\n'
        "mysqldump -u root -pDump#Pass1 --all-databases > all.sql",
        (("Sq1Cmd!Pw", "password"), ("Dump#Pass1", "password")),
    ),
    Case(
        "ticket_note_prose",
        "Called Jane, reset her AD account and unlocked it. Temp password is Welcome2024! - she "
        "must change it at next logon.\nGuest Wi-Fi password: Guest#5678\n"
        "Password policy unchanged (14 chars).",
        (("Welcome2024!", "password"), ("Guest#5678", "password")),
    ),
    Case(
        "rdp_file",
        "screen mode id:i:2\nfull address:s:rds01.contoso.local\nusername:s:CONTOSO\\jsmith\n"
        "password 51:b:01000000D08C9DDF0115D1118C7A00C04FC297EB0100000052A9E191EA75A948B359790578C9371A\n"
        "authentication level:i:2",
        (
            (
                "01000000D08C9DDF0115D1118C7A00C04FC297EB0100000052A9E191EA75A948B359790578C9371A",
                "password",
            ),
        ),
    ),
    Case(
        "backup_agent_ini",
        "[Server]\nHost=backup.contoso.com\nPort=443\nUser=agent\nPass=Ag3nt!Key\n"
        "ApiKey=ab12cd34ef56gh78ij90kl12mn34op56\nRetention=30\n",
        (("Ag3nt!Key", "password"), ("ab12cd34ef56gh78ij90kl12mn34op56", "api-key")),
    ),
    Case(
        "docker_compose",
        """services:
  db:
    image: postgres:16
    environment:
      - POSTGRES_USER=app
      - POSTGRES_PASSWORD=Pg!Compose1
  mssql:
    image: mcr.microsoft.com/mssql/server:2022-latest
    environment:
      MSSQL_SA_PASSWORD: "Mssql#Sa2024"
      ACCEPT_EULA: "Y"
""",
        (("Pg!Compose1", "password"), ("Mssql#Sa2024", "password")),
    ),
    Case(
        "oauth_token_response",
        '{"access_token": "2YotnFZFEjr1zCsicMWpAA", "token_type": "Bearer", "expires_in": 3600, '
        '"refresh_token": "tGzv3JOkF0XG5Qx2TlKWIA", "scope": "ServiceTicket.ReadWrite"}',
        (("2YotnFZFEjr1zCsicMWpAA", "token"), ("tGzv3JOkF0XG5Qx2TlKWIA", "token")),
    ),
    Case(
        "sc_config_service_account",
        'sc.exe config "VeeamSvc" obj= "CONTOSO\\svc_veeam" password= "V33am!Svc"\n'
        'sc.exe qc "VeeamSvc"',
        (("V33am!Svc", "password"),),
    ),
    Case(
        "bitlocker_recovery_password",
        f"""PS C:\\> manage-bde -protectors -get C:

Volume C: [OS]
All Key Protectors

    Numerical Password:
      ID: {{6B2B9D3E-1F0A-4C8D-9E7B-5A4F3C2D1E0F}}
      Password:
        {BITLOCKER_RECOVERY}

    TPM:
      ID: {{0A1B2C3D-4E5F-6789-ABCD-EF0123456789}}""",
        ((BITLOCKER_RECOVERY, "password"),),
    ),
    Case(
        "bitlocker_inline",
        f"Recovery Password: {BITLOCKER_RECOVERY} (ID 6B2B9D3E)",
        ((BITLOCKER_RECOVERY, "password"),),
    ),
    Case(
        "powershell_client_secret_params",
        f"Connect-MgGraph -TenantId 72f988bf-86f1-41af-91ab-2d7cd011db47 -ClientSecret '{AZURE_CLIENT_SECRET}'\n"
        "Connect-ITGlue -ApiKey ITG.0123456789abcdef0123456789abcdef.Abc123Def456",
        (
            (AZURE_CLIENT_SECRET, "azure-key"),
            ("ITG.0123456789abcdef0123456789abcdef.Abc123Def456", "api-key"),
        ),
    ),
    Case(
        "cisco_and_fortigate_config",
        """hostname BR01-RTR
service password-encryption
enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0
username netadmin privilege 15 secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM
crypto isakmp key Vpn#Shared2024 address 203.0.113.10
interface GigabitEthernet0/1
 ip address 10.20.30.1 255.255.255.0
config user local
    edit "backup"
        set passwd ENC SH2nlSm9QL9tapcHPXIqAXvX7vBJuuqu22hpa0JX0sBuKIo7z2g0Kz/+0KyH4E=
    next
end""",
        (
            ("$1$mERr$hx5rVt7rPNoS4wqbXKX7m0", "password"),
            ("$9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM", "password"),
            ("Vpn#Shared2024", "password"),
            ("SH2nlSm9QL9tapcHPXIqAXvX7vBJuuqu22hpa0JX0sBuKIo7z2g0Kz/+0KyH4E=", "password"),
        ),
    ),
    Case(
        "credentials_in_code_and_mounts",
        """$nc = New-Object System.Net.NetworkCredential("svc_scan", "Sc@n2024")
r = requests.get(url, auth=("api", "R3quests!"), timeout=30)
smbclient //fs01/share -U CONTOSO/jsmith%Smb#Pass1 -c ls
mount -t cifs //fs01/share /mnt/share -o username=jsmith,password=Mnt#Pass1,vers=3.0""",
        (
            ("Sc@n2024", "password"),
            ("R3quests!", "password"),
            ("Smb#Pass1", "password"),
            ("Mnt#Pass1", "password"),
        ),
    ),
    # ---------------------------------------------------------------- nothing to mask
    Case(
        "ipconfig_all",
        """Windows IP Configuration

   Host Name . . . . . . . . . . . . : WS-042
   Primary Dns Suffix  . . . . . . . : contoso.local
   Node Type . . . . . . . . . . . . : Hybrid
   IP Routing Enabled. . . . . . . . : No

Ethernet adapter Ethernet:

   Connection-specific DNS Suffix  . : contoso.local
   Description . . . . . . . . . . . : Intel(R) Ethernet Connection (7) I219-LM
   Physical Address. . . . . . . . . : 3C-52-82-1A-2B-3C
   DHCP Enabled. . . . . . . . . . . : Yes
   Link-local IPv6 Address . . . . . : fe80::a1b2:c3d4:e5f6:7890%12(Preferred)
   IPv4 Address. . . . . . . . . . . : 10.20.30.42(Preferred)
   Subnet Mask . . . . . . . . . . . : 255.255.255.0
   Lease Obtained. . . . . . . . . . : Friday, March 1, 2024 8:01:12 AM
   Default Gateway . . . . . . . . . : 10.20.30.1
   DHCP Server . . . . . . . . . . . : 10.20.30.5
   DHCPv6 IAID . . . . . . . . . . . : 104616578
   DHCPv6 Client DUID. . . . . . . . : 00-01-00-01-2C-9F-3A-11-3C-52-82-1A-2B-3C
   DNS Servers . . . . . . . . . . . : 10.20.30.5
                                       2001:db8:85a3::8a2e:370:7334
   NetBIOS over Tcpip. . . . . . . . : Enabled""",
    ),
    Case(
        "event_4625_failed_logon",
        """Log Name:      Security
Source:        Microsoft-Windows-Security-Auditing
Event ID:      4625
Task Category: Logon
Keywords:      Audit Failure
Computer:      DC01.contoso.local
Description:
An account failed to log on.

Subject:
	Security ID:		S-1-5-18
	Account Name:		DC01$
	Logon ID:		0x3E7

Account For Which Logon Failed:
	Security ID:		S-1-5-21-3623811015-3361044348-30300820-1013
	Account Name:		jdoe
	Account Domain:		CONTOSO

Failure Information:
	Failure Reason:		Unknown user name or bad password.
	Status:			0xC000006D
	Sub Status:		0xC000006A

Detailed Authentication Information:
	Logon Process:		NtLmSsp
	Authentication Package:	NTLM
	Package Name (NTLM only):	-
	Key Length:		0""",
    ),
    Case(
        "event_4624_and_4688",
        """An account was successfully logged on.
	Logon Type:		3
	Restricted Admin Mode:	-
	Virtual Account:		No
	Elevated Token:		Yes
	Impersonation Level:		Impersonation
	Logon GUID:		{8d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09}
	Key Length:		128
A new process has been created.
	Token Elevation Type:	%%1936
	Mandatory Label:		S-1-16-12288
	New Process Name:	C:\\Windows\\System32\\cmd.exe
	Process Command Line:	cmd.exe /c whoami /groups""",
    ),
    Case(
        "get_service_output",
        """Status   Name               DisplayName
------   ----               -----------
Running  ADSync             Microsoft Azure AD Sync
Stopped  AppIDSvc           Application Identity
Running  BITS               Background Intelligent Transfer Ser...
Running  KeyIso             CNG Key Isolation
Running  SamSs              Security Accounts Manager
Stopped  VaultSvc           Credential Manager""",
    ),
    Case(
        "file_hashes",
        """Algorithm       Hash                                                                   Path
---------       ----                                                                   ----
SHA256          E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855       C:\\Temp\\empty.txt
MD5: d41d8cd98f00b204e9800998ecf8427e  setup.exe
SHA1: da39a3ee5e6b4b0d3255bfef95601890afd80709
sha256sum: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  agent.msi""",
    ),
    Case(
        "windows_update_errors",
        "2024-03-01 03:12:44 Installing KB5034441 failed with error 0x80070643.\n"
        "2024-03-01 03:15:02 KB5034763 installed; reboot pending. Error 0x80070005 (access denied) "
        "on retry of KB5034441.\nAADSTS50126: Error validating credentials due to invalid username "
        "or password. Trace ID: 0b8c4d2e-7f61-4a9b-8c3d-2e1f0a9b8c7d Timestamp: 2024-03-01 09:15:33Z",
    ),
    Case(
        "registry_paths",
        """reg query HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa /v LmCompatibilityLevel

HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa
    LmCompatibilityLevel    REG_DWORD    0x5

HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU
HKCU\\Software\\Microsoft\\Office\\16.0\\Common\\Identity\\Identities""",
    ),
    Case(
        "powershell_credential_usage",
        """$cred = Get-Credential CONTOSO\\admin
Invoke-Command -ComputerName dc01 -Credential $cred -ScriptBlock { repadmin /replsummary }
$pw = Read-Host -AsSecureString "New password"
Set-ADAccountPassword -Identity $user -NewPassword $pw -Reset
New-ADUser -Name "Jane Doe" -AccountPassword $pw -ChangePasswordAtLogon $true -PasswordNeverExpires $false
Set-LocalUser -Name kiosk -Password $securePassword
$plain = $cred.GetNetworkCredential().Password""",
    ),
    Case(
        "password_policy_prose",
        "Password policy: minimum 14 characters, complexity enabled, max age 90 days.\n"
        "Reset the user's password and ask them to change it at next logon.\n"
        "The password must be at least 12 characters. Password expired for jdoe.\n"
        "password: must contain a symbol and a number\n"
        "User says the password was reset yesterday but Outlook keeps prompting.",
    ),
    Case(
        "ad_user_properties",
        """CannotChangePassword    : False
Enabled                 : True
LastBadPasswordAttempt  : 3/1/2024 9:14:02 AM
LockedOut               : False
PasswordExpired         : False
PasswordLastSet         : 1/2/2024 8:00:00 AM
PasswordNeverExpires    : False
PasswordNotRequired     : False
badPwdCount             : 0
pwdLastSet              : 133485984000000000
SID                     : S-1-5-21-3623811015-3361044348-30300820-1013
ObjectGUID              : 5c4b3a29-1807-4f6e-9d8c-7b6a5f4e3d2c""",
    ),
    Case(
        "net_user_and_net_accounts_output",
        """User name                    jdoe
Full Name                    Jane Doe
Password last set            1/2/2024 8:00:00 AM
Password expires             4/1/2024 8:00:00 AM
Password changeable          1/3/2024 8:00:00 AM
Password required            Yes
User may change password     Yes

Minimum password age (days):                          1
Maximum password age (days):                          90
Minimum password length:                              14
Length of password history maintained:                24""",
    ),
    Case(
        "unc_paths_and_net_use_listing",
        """New connections will be remembered.

Status       Local     Remote                    Network
-------------------------------------------------------------------------------
OK           Z:        \\\\fs01\\finance           Microsoft Windows Network
Disconnected Y:        \\\\fs01\\scans             Microsoft Windows Network
net use Z: \\\\fs01\\finance /persistent:yes
net use Y: \\\\fs01\\scans * /user:CONTOSO\\scanner
net use \\\\fs02\\IPC$ /delete
runas /user:CONTOSO\\admin "mmc dsa.msc"
copy \\\\fs01\\deploy\\agent.msi C:\\Temp\\""",
    ),
    Case(
        "urls_and_emails",
        "See https://portal.azure.com/#@contoso.onmicrosoft.com/resource/subscriptions/"
        "0f9e8d7c-6b5a-4321-9fed-cba987654321/overview and http://10.0.0.1:8080/status.\n"
        "Mail jane.doe@contoso.com or helpdesk@contoso.com; docs at "
        "https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/net-use "
        "and https://github.com/contoso/rmm/blob/main/README.md?plain=1#L42",
    ),
    Case(
        "certificate_store",
        """   PSParentPath: Microsoft.PowerShell.Security\\Certificate::LocalMachine\\My

Thumbprint                                Subject
----------                                -------
3B1EFD3A66EA28B16697394703A72CA340A05BD5  CN=rds01.contoso.local
Cert Hash(sha1): 3b 1e fd 3a 66 ea 28 b1 66 97 39 47 03 a7 2c a3 40 a0 5b d5
  Key Container = 9c5f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b
  Provider = Microsoft Software Key Storage Provider
Private key is NOT exportable
Encryption test passed
-----BEGIN CERTIFICATE-----
MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ
-----END CERTIFICATE-----
ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2VrZXlmYWtla2V5ZmFrZWtleWZha2VrZXlm admin@jump01""",
    ),
    Case(
        "script_with_variables_and_templates",
        """$Password = $env:BACKUP_PASSWORD
$connStr = "Server=$server;Database=$db;User Id=$user;Password=$pass;"
net use \\\\srv\\share %PASSWORD% /user:%USERNAME%
set PASS=%BACKUP_PASS%
psexec \\\\%COMPUTER% -u %ADMIN% -p %ADMINPASS% cmd
db:
  password: <your-password>
  api_key: ${API_KEY}
  token: {token}
connection: Server=sql01;User Id=sa;Password={{db_password}};
{"password": "********", "secret": null, "token": ""}
Password=•••; Pwd=***;
cmdkey /add:srv /user:admin /pass:[password #1]""",
    ),
    Case(
        "python_code_reading_secrets",
        """password = getpass.getpass("Password: ")
token = os.environ["API_TOKEN"]
conn = pyodbc.connect(server=srv, user=user, password=password)
api_key = settings.API_KEY
secret = None
max_tokens: 4096""",
    ),
    Case(
        "systeminfo_and_dsregcmd",
        """OS Name:                   Microsoft Windows 11 Pro
OS Version:                10.0.22631 N/A Build 22631
Hotfix(s):                 3 Hotfix(s) Installed.
                           [01]: KB5034441
                           [02]: KB5034763
Network Card(s):           1 NIC(s) Installed.
                           [01]: Intel(R) Wi-Fi 6 AX201 160MHz
                                 IP address(es)
                                 [01]: 192.168.1.23
                                 [02]: fe80::1c2d:3e4f:5a6b:7c8d
             AzureAdJoined : YES
                  TenantId : 72f988bf-86f1-41af-91ab-2d7cd011db47
                  DeviceId : 4e3d2c1b-0a9f-48e7-b6d5-c4b3a2918070
               KeySignTest : PASSED
                 NgcKeyId : {6B2B9D3E-1F0A-4C8D-9E7B-5A4F3C2D1E0F}
               AzureAdPrt : YES""",
    ),
    Case(
        "connectwise_ticket_json",
        '{"id": 482913, "summary": "Password reset for jdoe", "board": {"id": 1, "name": '
        '"Help Desk"}, "status": {"name": "In Progress"}, "company": {"identifier": "Contoso"}, '
        '"customFields": [{"id": 7, "caption": "Token Count", "value": 42}], '
        '"_info": {"lastUpdated": "2024-03-01T10:00:00Z"}}',
    ),
    Case(
        "network_diagnostics",
        """Interface: 10.20.30.42 --- 0xc
  Internet Address      Physical Address      Type
  10.20.30.1            00-1a-2b-3c-4d-5e     dynamic
  10.20.30.5            00:1A:2B:3C:4D:5F     dynamic
Pinging 8.8.8.8 with 32 bytes of data:
Reply from 8.8.8.8: bytes=32 time=12ms TTL=117
Server:  dc01.contoso.local
Address:  10.20.30.5
Non-authoritative answer:
Name:    outlook.office365.com
Addresses:  2603:1036:304:2857::2
          52.96.165.18""",
    ),
    Case(
        "prompts_without_values",
        """cmdkey /add:fs01 /user:CONTOSO\\admin /pass
mysql -u root -p
sqlcmd -S sql01 -E -Q "SELECT @@VERSION"
schtasks /create /tn Cleanup /tr C:\\cleanup.cmd /sc weekly /ru SYSTEM
psexec \\\\ws-042 -s -i cmd
netsh wlan show profile name="Contoso-Guest" key=clear
The Security key is Present; use -Password to pass it on the command line.
Use the -Password parameter with a SecureString.""",
    ),
    Case(
        "autopilot_hash_and_ids",
        "Device Serial Number: PF3ABC12\nWindows Product ID: 00330-80000-00000-AA123\n"
        "Hardware Hash: T0GbBQEAHAAAAAoA6QuzTwAAIBAQAAIAAQABAAEAAAAB\n"
        "Correlation ID: 0b8c4d2e-7f61-4a9b-8c3d-2e1f0a9b8c7d\nError: 0x801c03ed\n"
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8\nMerge pull request #42 from contoso/fix",
    ),
    Case(
        "security_and_chkdsk_log",
        """Windows has scanned the file system and found no problems.
No further action is required.
  487226367 KB total disk space.
The Kerberos client received a KRB_AP_ERR_MODIFIED error from the server ws-042$.
The target name used was cifs/fs01.contoso.local. Token cache cleared.
Secure Channel verification succeeded (nltest /sc_verify:contoso.local).""",
    ),
)
