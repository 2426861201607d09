# Map a department share for the signed-in user, replacing a stale mapping.
param(
    [string]$Letter = "{{drive_letter}}",
    [string]$Share = "\\{{file_server}}\{{share_name}}"
)

$existing = Get-PSDrive -Name $Letter -ErrorAction SilentlyContinue
if ($existing -and $existing.DisplayRoot -ne $Share) {
    Remove-PSDrive -Name $Letter -Force
    net use "$($Letter):" /delete /y | Out-Null
}

$splat = @{
    Name       = $Letter
    PSProvider = "FileSystem"
    Root       = $Share
    Persist    = $true
    Scope      = "Global"
}
New-PSDrive @splat | Out-Null
if (Test-Path "$($Letter):\") {
    Write-Output "$Letter`: is mapped to $Share"
} else {
    Write-Error "Mapping $Share failed."
}
