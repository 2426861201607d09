; FlowPilot Desktop for Windows: a per-user installer (no administrator rights) for the
; PyInstaller bundle in dist\FlowPilot. Built by the release workflow:
;
;   iscc /DAppVersion=1.2.3 packaging\windows\flowpilot.iss
;
; With a code-signing certificate configured, the workflow also passes a sign tool named
; "flowpilot" and /DSign, and setup and uninstaller are signed:
;
;   iscc /DAppVersion=1.2.3 /DSign "/Sflowpilot=signtool sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /f cert.pfx /p PASSWORD $f" ...

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "FlowPilot Desktop"
#define AppExe "FlowPilot.exe"

[Setup]
; Fixed for ever: a new version installs over the old one (same folder, same uninstaller).
AppId={{B272039B-2206-4FAA-9ABE-B585553BF804}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=FlowPilot
VersionInfoVersion={#AppVersion}
; Per user, without admin rights: %LOCALAPPDATA%\Programs, the user's Start menu, HKCU.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=
DefaultDirName={localappdata}\Programs\FlowPilot
DisableDirPage=auto
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
; The app holds this mutex while it runs (flowpilot_desktop/app.py, RUNNING_MUTEX): setup and
; the uninstaller refuse to go on until FlowPilot is closed.
AppMutex=FlowPilotDesktop.Running
CloseApplications=no
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=FlowPilot-{#AppVersion}-windows-x64-setup
SetupIconFile=resources\icons\flowpilot.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
#ifdef Sign
SignTool=flowpilot
SignedUninstaller=yes
#endif

[Files]
Source: "dist\FlowPilot\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundle's libraries: nothing left from the old version is loaded.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{userprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Desk-side triage copilot"

[Registry]
; flowpilot:// links (a ConnectWise menu entry, a browser) open in FlowPilot: registered for
; this user only, removed by the uninstaller.
Root: HKCU; Subkey: "Software\Classes\flowpilot"; ValueType: string; ValueName: ""; ValueData: "URL:FlowPilot link"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\flowpilot"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\flowpilot\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKCU; Subkey: "Software\Classes\flowpilot\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""

[Run]
Filename: "{app}\{#AppExe}"; Description: "Start {#AppName}"; Flags: nowait postinstall skipifsilent
