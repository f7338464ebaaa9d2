# doctor: placeholder replaced below
