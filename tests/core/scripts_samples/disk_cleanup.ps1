# Free disk space: temp folders, the Windows Update cache, the recycle bin.
param(
    [int]$MinimumFreeGB = 10
)

function Get-FreeSpaceGB {
    param([string]$Drive = $env:SystemDrive)
    $disk = Get-CimInstance -ClassName Win32_LogicalDisk -Filter "DeviceID='$Drive'"
    return [math]::Round($disk.FreeSpace / 1GB, 2)
}

$before = Get-FreeSpaceGB
$targets = @(
    "$env:TEMP\*",
    "$env:SystemRoot\Temp\*",
    "$env:SystemRoot\SoftwareDistribution\Download\*"
)
foreach ($target in $targets) {
    Remove-Item -Path $target -Recurse -Force -ErrorAction SilentlyContinue
}
Clear-RecycleBin -Force -ErrorAction SilentlyContinue

$after = Get-FreeSpaceGB
$freed = $after - $before
Write-Output ("Freed {0:N2} GB; {1:N2} GB free now." -f $freed, $after)
if ($after -lt $MinimumFreeGB) {
    Write-Warning "Still below $MinimumFreeGB GB free: check large user folders."
}
