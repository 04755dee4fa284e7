"""Storage disks, validated uploads, image variants and signed URLs."""
