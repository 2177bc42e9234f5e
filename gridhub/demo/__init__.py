"""The demo town: fictional 柳湾镇 on the lower Xiu river (Jiangxi), and ``gridhub demo``."""
